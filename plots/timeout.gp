# timeout.gp: how late a timeout fires: wait_for (lesson 04) with a task that checks its cancel
# token every 1 ms or every 0.1 ms, and fetch_with_timeout against latencyd's /stall. Reads
# plots/data/timeout.csv: series,timeout_ms,reps,median_ms,min_ms,max_ms (overshoots in ms).
load "plots/style.gpi"

data = chart_data("timeout")
cores = int(fact(data, "cores"))
reps = int(fact(data, "reps"))

S_1MS = "wait_for (task polls 1 ms)"
S_100US = "wait_for (task polls 0.1 ms)"
S_FETCH = "fetch_with_timeout /stall"

# Rows of one series only, each series a little to the side so the bars do not hide each other.
pick(series, shift) = strcol(1) eq series ? column(2) * shift : NaN
BARS = 'using (pick(SERIES, SHIFT)):4:5:6 with yerrorbars'

set logscale xy
set xrange [0.7:150]
set yrange [0.02:200]
set xtics ("1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100)
set ytics ("0.02" 0.02, "0.05" 0.05, "0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "1" 1, "2" 2, "5" 5, \
           "10" 10, "20" 20, "50" 50, "100" 100, "200" 200)
set grid xtics ytics
set xlabel "time limit (ms)"
set ylabel sprintf("returned this late after the deadline (ms): median of %d, min to max", reps)
set key bottom right box opaque

# wait_for returns once the task has noticed its token: the task's polling interval bounds it.
set arrow 1 from 0.7, 1 to 150, 1 nohead dt 2 lc rgb C_THREAD
set label 1 "a task that checks every 1 ms notices within 1 ms" at 0.75, 1.25 tc rgb C_THREAD font ",9"
set arrow 2 from 0.7, 0.1 to 150, 0.1 nohead dt 2 lc rgb YOURS_THREAD
set label 2 "every 0.1 ms" at 0.75, 0.125 tc rgb YOURS_THREAD font ",9"

do for [fmt in "png svg"] {
    W = 1100; H = 650; @TERMINAL
    set output "plots/timeout.".fmt
    set title sprintf("How late does a timeout fire? wait_for and fetch_with_timeout (lesson 04), on %d cores\n%s%s", cores, machine(data), is_ref(data) ? "" : "\n" . NO_REF) font ",13"
    plot SERIES = S_1MS, SHIFT = 0.88, data @BARS pt 7 ps 1 lc rgb C_THREAD \
             title "wait_for, the task checks its cancel token every 1 ms", \
         SERIES = S_100US, SHIFT = 1.0, data @BARS pt 5 ps 1 lc rgb YOURS_THREAD \
             title "wait_for, the task checks every 0.1 ms", \
         SERIES = S_FETCH, SHIFT = 1.13, data @BARS pt 9 ps 1.2 lc rgb C_PROCESS \
             title "fetch_with_timeout of /stall (libcurl's CURLOPT_TIMEOUT_MS)"
}
