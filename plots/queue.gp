# queue.gp: a bounded queue's depth over time, as producers and consumers change pace (lesson
# 08). Reads plots/data/queue.csv (and queue-yours.csv when `make plots` measured your queue):
# series,time_s,depth,producers_in_put.
load "plots/style.gpi"

data = chart_data("queue")
yours = "plots/data/queue-yours.csv"
have_ref = is_ref(data) # in a handout, data is already yours: drawn alone, as yours
# Yours only when it ran to its end (a run that failed may leave a CSV with no rows).
have_yours = have_ref && file_exists(yours) ? \
    int(system(sprintf("grep -c '^bq-yours,' '%s'", yours))) > 0 : 0
DEPTH_TITLE = have_ref ? "depth (bq_*, reference)" : "depth, your bqueue.c"
cores = int(fact(data, "cores"))
cap = int(fact(data, "capacity"))
producers = int(fact(data, "producers"))
consumers = int(fact(data, "consumers"))
phase = int(fact(data, "phase_ms"))
slow_ms = real(fact(data, "slow_us")) / 1000
fast_ms = real(fact(data, "fast_us")) / 1000

set xrange [0:3.1 * phase]
set yrange [-0.5:cap * 1.35]
set xlabel "time (ms)"
set ylabel "items in the queue, sampled every millisecond"
set y2label "producers inside bq_put"
set y2range [-0.5 * producers / cap:producers * 1.35]
set y2tics 1
set ytics nomirror
set grid xtics ytics
set key at graph 0.99, graph 0.62 right box opaque

# The capacity, and the three phases.
set arrow 1 from 0, cap to 3.1 * phase, cap nohead dt 2 lw 1.5 lc rgb IDEAL
set label 1 sprintf("capacity %d", cap) at 5, cap + 0.6 tc rgb IDEAL
set arrow 2 from phase, graph 0 to phase, graph 1 nohead lc rgb "#bbbbbb"
set arrow 3 from 2 * phase, graph 0 to 2 * phase, graph 1 nohead lc rgb "#bbbbbb"
set label 2 sprintf("slow producers (%.1f ms an item),\nfast consumers (%.1f ms)", slow_ms, fast_ms) \
    at phase / 2, cap * 1.22 center font ",9"
set label 3 sprintf("fast producers, slow consumers:\nthe queue is full, producers wait") \
    at 1.5 * phase, cap * 1.22 center font ",9"
set label 4 "producers stop:\nthe consumers drain it" at 2.5 * phase, cap * 1.22 center font ",9"

ms(col) = 1000 * column(col)

do for [fmt in "png svg"] {
    W = 1100; H = 600; @TERMINAL
    set output "plots/queue.".fmt
    set title sprintf("A bounded queue of %d between %d producers and %d consumers (lesson 08), on %d cores\n%s%s", \
                      cap, producers, consumers, cores, machine(data), \
                      "\n" . whose("08", have_ref, have_yours, "the green line")) font ",13"
    if (have_yours) {
        plot data using (ms(2)):3 with steps lw 2 lc rgb C_THREAD title "depth (bq_*, reference)", \
             data using (ms(2)):4 axes x1y2 with steps lw 1 dt 3 lc rgb C_PROCESS \
                 title "producers inside bq_put (right axis)", \
             yours using (ms(2)):3 with steps lw 1.5 lc rgb YOURS_THREAD title "depth, your bqueue.c"
    } else {
        plot data using (ms(2)):3 with steps lw 2 lc rgb C_THREAD title DEPTH_TITLE, \
             data using (ms(2)):4 axes x1y2 with steps lw 1 dt 3 lc rgb C_PROCESS \
                 title "producers inside bq_put (right axis)"
    }
}
