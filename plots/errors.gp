# errors.gp: a timeline of six tasks, one failing at 60 ms and one ignoring its cancel token,
# run by gather_all_status (every task to its end) and by taskgroup_run (fail fast: the failure
# cancels the others) of lesson 07. Reads plots/data/errors.csv:
# run,task,start_ms,end_ms,stop_ms,status,deaf (ms since the call began; stop_ms -1: never saw
# the token). With plots/data/errors-yours.csv (when `make plots` measured your lesson 07 too), a
# third timeline: your taskgroup_run.
load "plots/style.gpi"

data = chart_data("errors")
yours = "plots/data/errors-yours.csv"
have_ref = is_ref(data) # in a handout, data is already yours: its two runs, drawn alone
have_yours = have_ref && file_exists(yours)
SUFFIX = have_ref ? "" : "-yours" # the runs' names in data
WHOSE = have_ref ? "" : "your "
cores = int(fact(data, "cores"))
reps = int(fact(data, "reps"))
failing = int(fact(data, "failing_task"))
deaf = int(fact(data, "deaf_task"))
g_failed = real(fact(data, "gather_failed_ms"))
g_returned = real(fact(data, "gather_returned_ms"))
t_failed = real(fact(data, "group_failed_ms"))
t_returned = real(fact(data, "group_returned_ms"))
tasks = int(system(sprintf("grep -c '^gather%s,' '%s'", SUFFIX, data)))

ECANCELED = -125
C_OK = 0x1f77b4
C_FAILED = 0xd62728
C_CANCELLED = 0xa0a0a0
C_DEAF = 0x2ca02c
# Rows of one run only.
pick(run) = strcol(1) eq run ? column(2) : NaN
colour(status, isdeaf) = isdeaf != 0 ? C_DEAF : status == 0 ? C_OK : \
                         status == ECANCELED ? C_CANCELLED : C_FAILED
what(status, isdeaf) = (status == 0 ? "0" : status == ECANCELED ? "-ECANCELED" : \
                        status == -5 ? "-EIO" : sprintf("%d", status)) . \
                       (isdeaf != 0 ? " (ignores the token)" : "")

set xrange [0:g_returned * 1.12]
# One empty row above task 0 for the labels of the moments marked.
set yrange [tasks - 0.5:-1.6]
set ytics 0, 1, tasks - 1 scale 0
set ylabel "task"
set grid xtics noytics
set style fill solid 0.85 border -1
# A moment marked across a timeline: vertical dashed lines, red for a failure.
FAILED_LINE = 'nohead front lc rgb "#d62728" dt 2 lw 1.5'
RETURN_LINE = 'nohead front lc rgb "#333333" dt 2 lw 1.5'
BARS = 'using (column(3)):(pick(RUN)):(column(3)):(column(4)):(pick(RUN) - 0.36):' . \
       '(pick(RUN) + 0.36):(colour(column(6), column(7))) with boxxyerror lc rgb variable notitle'
LABELS = 'using (column(4)):(pick(RUN)):(what(column(6), column(7))) with labels left ' . \
         'offset 1, 0 font ",9" notitle'
STOPS = 'using (column(5) >= 0 ? column(5) : NaN):(pick(RUN)) with points pt 2 ps 1.2 ' . \
        'lc rgb "#333333" title "saw the token and stopped"'
# The legend's colours: empty series, one per kind of outcome.
KEY = 'NaN with boxes lc rgb "#1f77b4" title "returned 0", ' . \
      'NaN with boxes lc rgb "#d62728" title "failed", ' . \
      'NaN with boxes lc rgb "#a0a0a0" title "cancelled (-ECANCELED)", ' . \
      'NaN with boxes lc rgb "#2ca02c" title "ignores the token"'
TITLE = sprintf("%d tasks, task %d failing at %.0f ms: gather every outcome, or fail fast " . \
                "(lesson 07), on %d cores\n%s%s", tasks, failing, t_failed, cores, machine(data), \
                "\n" . whose("07", have_ref, have_yours, "the third timeline"))

do for [fmt in "png svg"] {
    W = 1100; H = have_yours ? 960 : 680; @TERMINAL
    set output "plots/errors.".fmt
    set multiplot layout (have_yours ? 3 : 2), 1 title TITLE font ",13"

    RUN = "gather" . SUFFIX
    set title sprintf(WHOSE . "gather_all_status: every task runs to its end; returns 1 (one failed) " . \
                      "at %.0f ms, with the longest task (median of %d runs)", g_returned, reps)
    unset xlabel
    set key bottom right box opaque font ",9"
    set arrow 1 from g_failed, graph 0 to g_failed, graph 1 @FAILED_LINE
    set label 1 sprintf("task %d fails at %.0f ms", failing, g_failed) at g_failed, -1 \
        offset 0.5, 0 left tc rgb "#d62728"
    set arrow 2 from g_returned, graph 0 to g_returned, graph 1 @RETURN_LINE
    set label 2 sprintf("returns at %.0f ms", g_returned) at g_returned, -1 offset -0.5, 0 right
    plot data @BARS, data @LABELS, @KEY

    RUN = "group" . SUFFIX
    set title sprintf(WHOSE . "taskgroup_run: the failure sets the token; the others stop within a " . \
                      "step; returns -EIO at %.0f ms, when the deaf task ends", t_returned)
    set xlabel "time since the call began (ms)"
    unset key
    set arrow 1 from t_failed, graph 0 to t_failed, graph 1 @FAILED_LINE
    set label 1 sprintf("task %d fails at %.0f ms: the token is set", failing, t_failed) \
        at t_failed, -1 offset 0.5, 0 left tc rgb "#d62728"
    set arrow 2 from t_returned, graph 0 to t_returned, graph 1 @RETURN_LINE
    set label 2 sprintf("returns at %.0f ms, %.0f ms sooner", t_returned, g_returned - t_returned) \
        at t_returned, -1 offset 0.5, 0 left
    set key bottom right box opaque font ",9"
    plot data @BARS, data @LABELS, data @STOPS
    if (have_yours) {
        y_failed = real(fact(yours, "group_failed_ms"))
        y_returned = real(fact(yours, "group_returned_ms"))
        set title sprintf("your taskgroup_run: the same tasks; returns at %.0f ms", y_returned)
        set arrow 1 from y_failed, graph 0 to y_failed, graph 1 @FAILED_LINE
        set label 1 sprintf("task %d fails at %.0f ms", failing, y_failed) at y_failed, -1 \
            offset 0.5, 0 left tc rgb "#d62728"
        set arrow 2 from y_returned, graph 0 to y_returned, graph 1 @RETURN_LINE
        set label 2 sprintf("returns at %.0f ms", y_returned) at y_returned, -1 offset 0.5, 0 left
        RUN = "group-yours"
        plot yours @BARS, yours @LABELS, yours @STOPS
    }
    unset label 1
    unset label 2
    unset arrow 1
    unset arrow 2
    unset multiplot
}
