# semaphore.gp: tasks in flight over time under a semaphore, for limits 1, 4 and 16 (lesson 03).
# Reads plots/data/semaphore.csv (lessons/03-semaphore/bench_semaphore.c): limit,time_s,in_flight,
# and, when `make plots` measured your lesson 03 too, plots/data/semaphore-yours.csv (limits
# "1-yours" and so on), drawn in each panel as a green line over the reference's area.
#
# One panel per limit, on the same time axis: the count climbs to the limit at once and stays
# there while tasks are left. Every panel holds the same work (the filled area: 32 tasks of
# 50 ms), so a limit 4 times higher finishes about 4 times sooner. The thin dips are hand-offs:
# a task has ended and the one its permit goes to has not started yet, microseconds later.
load "plots/style.gpi"

data = chart_data("semaphore")
yours = "plots/data/semaphore-yours.csv"
have_ref = is_ref(data)
have_yours = have_ref && file_exists(yours) # in a handout, data is already yours
SUFFIX = have_ref ? "" : "-yours" # the limits' names in data
cores = int(fact(data, "cores"))
tasks = int(fact(data, "tasks"))
task_ms = int(fact(data, "task_ms"))
took(file, limit) = real(fact(file, sprintf("took_%d", limit)))
slowest = took(data, 1) > (have_yours ? took(yours, 1) : 0) ? took(data, 1) : took(yours, 1)

# The rows of one limit; NaN elsewhere, which gnuplot leaves out.
pick(limit, suffix) = strcol(1) eq sprintf("%d%s", limit, suffix) ? column(3) : NaN

limits = "16 4 1"
colours = "#d62728 #ff7f0e #1f77b4"
xmax = 1.05 * slowest

WHOSE = !have_ref ? NO_REF : have_yours ? \
    "Filled: the reference solution's gather_limited. Green line: yours (lessons/03-semaphore)." : \
    "The reference solution's gather_limited; yours is added once make check passes lesson 03."
TITLE = sprintf("Tasks in flight under a semaphore: gather_limited, %d tasks of %d ms " . \
                "(lesson 03), on %d cores\n%s\n%s", tasks, task_ms, cores, machine(data), WHOSE)

set style fill transparent solid 0.35 noborder
set grid xtics
set xrange [0:xmax]
set tmargin 1.5
set bmargin 1
set lmargin 10
set rmargin 3
set key top right box opaque font ",9"
# Your line in each panel (a macro is expanded once, before the loop runs: limit is read when
# each panel is plotted).
YOURS_LINE = !have_yours ? "" : ", yours using 2:(pick(limit, \"-yours\")) with steps lw 2 " . \
    "dt 2 lc rgb YOURS_THREAD title sprintf(\"limit %d (yours): took %.3f s\", limit, " . \
    "took(yours, limit))"

do for [fmt in "png svg"] {
    W = 1000; H = 760; @TERMINAL
    set output "plots/semaphore.".fmt
    set multiplot layout 3, 1 title TITLE font ",12"
    do for [i = 1:3] {
        limit = int(word(limits, i))
        rounds = (tasks + limit - 1) / limit
        set yrange [0:limit * 1.3 + 0.3]
        set ytics (0, limit)
        set ylabel sprintf("limit %d", limit)
        set xlabel (i == 3 ? "time since the call (s)" : "")
        set format x (i == 3 ? "%g" : "")
        if (i == 3) { set bmargin 3.5 }
        set arrow 1 from 0, limit to xmax, limit nohead dt 2 lc rgb IDEAL
        plot data using 2:(pick(limit, SUFFIX)) with fillsteps lc rgb word(colours, i) notitle, \
             data using 2:(pick(limit, SUFFIX)) with steps lw 1.5 lc rgb word(colours, i) \
                title sprintf("limit %d%s: %d rounds of %d ms, ideal %.2f s, took %.3f s", \
                              limit, have_ref ? "" : " (yours)", rounds, task_ms, \
                              rounds * task_ms / 1000.0, took(data, limit)) \
             @YOURS_LINE
    }
    unset multiplot
    set bmargin 1
}
