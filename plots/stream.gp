# stream.gp: when each streamed line reached the consumer, against when latencyd sent it
# (lesson 08's stream_lines). Reads plots/data/stream.csv (and stream-yours.csv when `make
# plots` measured your stream.c): series,line,sent_s,arrived_s; "<run>-resume" rows give the
# times the transfer was resumed (curl_easy_pause).
load "plots/style.gpi"

data = chart_data("stream")
yours = "plots/data/stream-yours.csv"
have_ref = is_ref(data) # in a handout, data is already yours: drawn alone, as yours
SUFFIX = have_ref ? "" : "-yours" # the series' names in data
WHOSE = have_ref ? "" : "your stream.c, "
# Yours only when it ran to its end (a run that failed may leave a CSV with no rows).
have_yours = have_ref && file_exists(yours) ? \
    int(system(sprintf("grep -c '^fast-yours,' '%s'", yours))) > 0 : 0
cores = int(fact(data, "cores"))
lines = int(fact(data, "lines"))
interval = int(fact(data, "interval_ms"))
size = int(fact(data, "line_size"))
slow = int(fact(data, "slow_ms"))
resumes = int(system(sprintf("grep -c '^slow%s-resume,' '%s'", SUFFIX, data)))

pick(series, col) = strcol(1) eq series ? 1000 * column(col) : NaN
last = lines * interval

set xrange [0:last * 1.05]
set yrange [0:last * 2.3]
set xlabel "when the server sent the line (ms after the request)"
set ylabel "when the consumer took it out of the queue (ms)"
set grid xtics ytics
set key bottom right box opaque

set arrow 1 from 0, 0 to last * 1.05, last * 1.05 nohead dt 2 lw 1.5 lc rgb IDEAL
set label 1 "arrived as sent" at last * 0.8, last * 0.72 tc rgb IDEAL
set label 2 sprintf("a slow consumer (%d ms a line) falls behind at its own pace; the queue\n" . \
                    "is full, the transfer waits, and pauses %d times (triangles, at the\n" . \
                    "time it resumed); the rest waits in the sockets' buffers", slow, resumes) \
    at last * 0.3, last * 1.75 center font ",9"

do for [fmt in "png svg"] {
    W = 1100; H = 650; @TERMINAL
    set output "plots/stream.".fmt
    set title sprintf("Streaming %d lines of %d bytes, one every %d ms, through a bounded queue (lesson 08), on %d cores\n%s%s", \
                      lines, size, interval, cores, machine(data), \
                      "\n" . whose("08", have_ref, have_yours, "the hollow marks")) font ",13"
    if (have_yours) {
        plot data using (pick("fast", 3)):(pick("fast", 4)) with points pt 7 ps 0.5 lc rgb C_THREAD \
                 title "fast consumer, queue of 64", \
             data using (pick("slow", 3)):(pick("slow", 4)) with points pt 7 ps 0.5 lc rgb C_PROCESS \
                 title sprintf("slow consumer, queue of 4"), \
             data using (last * 0.02):(pick("slow-resume", 4)) with points pt 9 ps 1.2 lc rgb C_PROCESS \
                 title "transfer resumed (curl_easy_pause)", \
             yours using (pick("fast-yours", 3)):(pick("fast-yours", 4)) with points pt 6 ps 0.7 \
                 lc rgb YOURS_THREAD title "your stream.c, fast consumer", \
             yours using (pick("slow-yours", 3)):(pick("slow-yours", 4)) with points pt 6 ps 0.7 \
                 lc rgb YOURS_PROCESS title "your stream.c, slow consumer"
    } else {
        plot data using (pick("fast" . SUFFIX, 3)):(pick("fast" . SUFFIX, 4)) with points pt 7 \
                 ps 0.5 lc rgb C_THREAD title WHOSE . "fast consumer, queue of 64", \
             data using (pick("slow" . SUFFIX, 3)):(pick("slow" . SUFFIX, 4)) with points pt 7 \
                 ps 0.5 lc rgb C_PROCESS title WHOSE . "slow consumer, queue of 4", \
             data using (last * 0.02):(pick("slow" . SUFFIX . "-resume", 4)) with points pt 9 \
                 ps 1.2 lc rgb C_PROCESS title "transfer resumed (curl_easy_pause)"
    }
}
