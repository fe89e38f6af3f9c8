# gather.gp: a timeline (Gantt chart) of the same sleeping tasks, run one after another, then
# all at once on threads of their own (lesson 01). Reads plots/data/gather.csv:
# run,task,pid,tid,start_s,end_s (times in seconds since that run began), and, when `make plots`
# measured your lesson 01 too, plots/data/gather-yours.csv (runs "sequential-yours" and
# "gather-yours"), drawn as a third timeline: your run_gather under the reference's.
load "plots/style.gpi"

data = chart_data("gather")
yours = "plots/data/gather-yours.csv"
have_ref = is_ref(data)
have_yours = have_ref && file_exists(yours) # in a handout, data is already yours
SUFFIX = have_ref ? "" : "-yours" # the runs' names in data
cores = int(fact(data, "cores"))
seq_s = real(fact(data, "sequential_s"))
gat_s = real(fact(data, "gather_s"))
tasks = int(system(sprintf("grep -c '^gather%s,' '%s'", SUFFIX, data)))
your_seq_s = have_yours ? real(fact(yours, "sequential_s")) : 0
your_gat_s = have_yours ? real(fact(yours, "gather_s")) : 0

# Rows of one run only; times in ms.
pick(run) = strcol(1) eq run ? column(2) : NaN
ms(col) = 1000 * column(col)
# A colour per task, the same in both runs: line types 101 to 108.
TASK_COLOURS = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #17becf"
do for [i = 1:8] { set linetype 100 + i lc rgb word(TASK_COLOURS, i) }
colour(task) = 101 + task - 8 * floor(task / 8)

set xrange [0:1000 * (seq_s > your_seq_s ? seq_s : your_seq_s) * 1.04]
set yrange [tasks - 0.5:-0.5]
set ytics 1 scale 0
set ylabel "task"
set grid xtics noytics
set style fill solid 0.85 border -1
# Each task a bar from its start to its end, labelled with how long it took.
BARS = 'using (ms(5)):(pick(RUN)):(ms(5)):(ms(6)):(pick(RUN) - 0.38):(pick(RUN) + 0.38):' . \
       '(colour(column(2))) with boxxyerror lc variable notitle'
LABELS = 'using ((ms(5) + ms(6)) / 2):(pick(RUN)):(sprintf("%.0f ms", ms(6) - ms(5))) ' . \
         'with labels tc rgb "white" font ",9" notitle'
# Whose code each timeline shows.
WHOSE = !have_ref ? NO_REF : have_yours ? \
    "Top two: the reference solution's code. Bottom: yours (lessons/01-gather/gather.c)." : \
    "The reference solution's code; yours is added below once make check passes lesson 01."
TITLE = sprintf("The same %d sleeping tasks, one after another vs gathered (lesson 01), " . \
                "on %d cores\n%s\n%s", tasks, cores, machine(data), WHOSE)

do for [fmt in "png svg"] {
    W = 1100; H = have_yours ? 920 : 660; @TERMINAL
    set output "plots/gather.".fmt
    set multiplot layout (have_yours ? 3 : 2), 1 title TITLE font ",13"

    RUN = "sequential" . SUFFIX
    set title sprintf("run_sequential: each task starts when the one before ends: " . \
                      "%.0f ms in all, the sum of the tasks", 1000 * seq_s)
    unset xlabel
    set arrow 1 from 1000 * seq_s, graph 0 to 1000 * seq_s, graph 1 nohead \
        lc rgb "#333333" dt 2 lw 1.5
    set label 1 sprintf("returns at %.0f ms", 1000 * seq_s) at 1000 * seq_s, graph 0.85 \
        offset -1, 0 right
    plot data @BARS, data @LABELS

    RUN = "gather" . SUFFIX
    set title sprintf("run_gather: a thread per task, all started at once: " . \
                      "%.0f ms in all, the longest task", 1000 * gat_s)
    if (!have_yours) { set xlabel "time since the call began (ms)" }
    set arrow 1 from 1000 * gat_s, graph 0 to 1000 * gat_s, graph 1 nohead \
        lc rgb "#333333" dt 2 lw 1.5
    set label 1 sprintf("returns at %.0f ms: %.1fx sooner", 1000 * gat_s, seq_s / gat_s) \
        at 1000 * gat_s, graph 0.5 offset 1, 0 left
    plot data @BARS, data @LABELS
    if (have_yours) {
        RUN = "gather-yours"
        set title sprintf("run_gather (yours): %.0f ms in all (your run_sequential took %.0f ms)", \
                          1000 * your_gat_s, 1000 * your_seq_s)
        set xlabel "time since the call began (ms)"
        set arrow 1 from 1000 * your_gat_s, graph 0 to 1000 * your_gat_s, graph 1 nohead \
            lc rgb "#333333" dt 2 lw 1.5
        set label 1 sprintf("returns at %.0f ms: %.1fx sooner than your run_sequential", \
                            1000 * your_gat_s, your_seq_s / your_gat_s) \
            at 1000 * your_gat_s, graph 0.5 offset 1, 0 left
        plot yours @BARS, yours @LABELS
    }
    unset xlabel
    unset label 1
    unset arrow 1
    unset multiplot
}
