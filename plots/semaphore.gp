# semaphore.gp: tasks in flight over time under a semaphore, for limits 1, 4 and 16 (lesson 03).
# Reads plots/data/semaphore.csv (harness/bench/bench_semaphore.c); writes plots/semaphore.png
# and .svg. Run from the repository's top folder: gnuplot plots/semaphore.gp
#
# One panel per limit, on the same time axis: the count climbs to the limit at once and stays
# there while tasks are left. Every panel holds the same work (the filled area: 32 tasks of
# 50 ms), so a limit 4 times higher finishes about 4 times sooner. The thin dips are hand-offs:
# a task has ended and the one its permit goes to has not started yet, microseconds later.

load 'plots/style.gpi'
data = chart_data('semaphore')
fact(key) = system(sprintf("awk -F': ' '/^# %s:/ { print $2 }' %s", key, data))
cores = fact('cores')
cpu = fact('cpu')
tasks = fact('tasks')
task_ms = fact('task_ms')

set datafile separator ','
# The rows of one limit; NaN elsewhere, which gnuplot leaves out.
pick(limit) = (strcol(1) eq sprintf('%d', limit)) ? $3 : NaN

limits = '16 4 1'
colors = '#d62728 #2ca02c #1f77b4'
xmax = 1.05 * (0 + fact('took_1'))

set style fill transparent solid 0.35 noborder
set grid xtics lc rgb '#dddddd'
set xrange [0:xmax]
set tmargin 1.5
set bmargin 1
set lmargin 10
set rmargin 3

do for [term in 'png svg'] {
    if (term eq 'png') {
        set terminal pngcairo size 1000,700 font 'sans,10'
    } else {
        set terminal svg size 1000,700 font 'sans,10' dynamic
    }
    set output sprintf('plots/semaphore.%s', term)
    set multiplot layout 3,1 \
        title sprintf("Tasks in flight under a semaphore: gather\\_limited, %s tasks of %s ms  (%s cores, %s)%s", \
                      tasks, task_ms, cores, cpu, is_ref(data) ? "" : "\n" . NO_REF)
    do for [i = 1:3] {
        limit = 0 + word(limits, i)
        took = 0 + fact(sprintf('took_%d', limit))
        rounds = (tasks + limit - 1) / limit
        set yrange [0:limit * 1.3 + 0.3]
        set ytics (0, limit)
        set ylabel sprintf('limit %d', limit)
        set xlabel (i == 3 ? 'time since the call (s)' : '')
        set format x (i == 3 ? '%g' : '')
        if (i == 3) { set bmargin 3.5 }
        set key top right box opaque
        set arrow 1 from 0, limit to xmax, limit nohead dt 2 lc rgb '#555555'
        plot data using 2:(pick(limit)) with fillsteps lc rgb word(colors, i) notitle, \
             '' using 2:(pick(limit)) with steps lw 1.5 lc rgb word(colors, i) \
                title sprintf('limit %d: %d rounds of %s ms, ideal %.2f s, took %.3f s', \
                              limit, rounds, task_ms, rounds * task_ms / 1000.0, took)
    }
    unset multiplot
    set bmargin 1
}
