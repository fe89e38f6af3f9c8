# overhead.gp: what one task that does nothing costs, by each way of running it (log scale).
# Reads plots/data/overhead.csv: case,impl,tasks,median_us,min_us,max_us,target_us, and, when
# `make plots` measured your lesson 05 too, plots/data/overhead-yours.csv (the pool cases only,
# impl "yours"), each drawn as a green bar under the reference's bar of the same case.
load "plots/style.gpi"

data = chart_data("overhead")
yours = "plots/data/overhead-yours.csv"
have_ref = is_ref(data)
have_yours = have_ref && file_exists(yours) # in a handout, data is already yours
cores = int(fact(data, "cores"))
python = fact(data, "python")
have_python = strstrt(python, "Python ") == 1
# The rows from the most to the least expensive: a ladder, C and Python side by side. With your
# series, each row gets three more columns: your median, fastest and slowest for that case (-1
# where you have none), so that both bars of a case share its row.
JOIN_YOURS = !have_yours ? "" : sprintf(" | awk -F, -v OFS=, 'NR == FNR { if ($2 == \"yours\") " . \
    "y[$1] = $4 OFS $5 OFS $6; next } { print $0, ($1 in y ? y[$1] : \"-1,-1,-1\") }' '%s' -", \
    yours)
sorted = sprintf("< grep -v '^#' '%s' | tail -n +2 | sort -t, -k4,4 -g -r%s", data, JOIN_YOURS)
rows = int(system(sprintf("grep -v '^#' '%s' | tail -n +2 | grep -c .", data)))
# A bar's half of its row: the whole row alone, the upper half beside yours (y grows downwards).
TOP = have_yours ? -0.4 : -0.36
BOTTOM = have_yours ? 0.0 : 0.36

# 0.85 -> "0.85 µs", 157 -> "157 µs", 0.0014 -> "1.4 ns": the unit that keeps the figure short.
us(v) = v >= 1000 ? sprintf("%.2f ms", v / 1000) : v >= 10 ? sprintf("%.0f µs", v) : \
        v >= 1 ? sprintf("%.1f µs", v) : v >= 0.1 ? sprintf("%.2f µs", v) : \
        v >= 0.01 ? sprintf("%.0f ns", v * 1000) : sprintf("%.1f ns", v * 1000)
# The median of the row whose case starts with name, for the annotations (0 if there is none).
cost(name) = real(system(sprintf("awk -F, 'index($1, \"%s\") == 1 { v = $4; exit } " . \
                                 "END { print v + 0 }' '%s'", name, data)))
stopwait = cost("process pool map: 1 item per worker per map (stop")
pipelined = cost("process pool map: 1 item per message (pipe")
batched = cost("process pool map: 64 items")
GAINS = stopwait * pipelined * batched == 0 ? "" : sprintf("Process pool, per item:\n" . \
        "pipelined, %.0fx cheaper than stop-and-wait;\nbatched 64 per message, %.0fx " . \
        "cheaper again.", stopwait / pipelined, pipelined / batched)
# Where a row's figure goes: right of its slowest run and of its goal mark.
right(a, b) = a > b ? a : b
colour(impl) = impl eq "python" ? 0xf0a040 : impl eq "yours" ? 0x2ca02c : 0x1f77b4
XMIN = 0.0005

set logscale x 10
set xrange [XMIN:20000]
set xtics ("1 ns" 0.001, "10 ns" 0.01, "100 ns" 0.1, "1 µs" 1, "10 µs" 10, "100 µs" 100, \
           "1 ms" 1000, "10 ms" 10000)
set mxtics 10
set xlabel "time per task (median, log scale)"
set yrange [rows - 0.5:-0.5]
set ytics scale 0 nomirror
set grid xtics noytics
set style fill solid 0.85 border -1
# A short key, right of the middle rows, where no bar reaches (the title says the rest).
set key at graph 0.99, graph 0.6 right top box opaque samplen 2

WHOSE = !have_ref ? NO_REF : \
    "Blue: the reference run (lesson 05's pools; a process or a thread per task is " . \
    "the benchmark's own code).\n" . (have_yours ? "Green: your pools (lessons/05-pools), " . \
    "each under the reference's bar of the same case." : \
    "Your pools are added once make check passes lesson 05.")
TITLE = sprintf("What one empty task costs, by how it is run, on %d cores\n%s\n%s", cores, \
                machine(data), WHOSE)
NOTE = sprintf("Median of %s runs per case (thin bars: fastest to slowest); pools of %d " . \
               "workers made before the clock starts. Red marks: the goals of the reference " . \
               "pools.%s", fact(data, "reps"), cores, \
               have_python || !have_ref ? "" : "  python3 not found: no Python rows.")

# Your bars, their spread and figures, under the reference's of the same case.
YOURS_BARS = !have_yours ? "" : \
    ", '' using (column(8) > 0 ? XMIN : NaN):0:(XMIN):8:($0 + 0.04):($0 + 0.4) " . \
    "with boxxyerror lc rgb YOURS_THREAD notitle, " . \
    "'' using (column(8) > 0 ? column(8) : NaN):($0 + 0.22):9:10 with xerrorbars " . \
    "lc rgb '#333333' pt -1 lw 1 notitle, " . \
    "'' using (column(8) > 0 ? column(10) : NaN):($0 + 0.22):(us(column(8)) . ' (yours)') " . \
    "with labels left offset 1, 0 font ',9' tc rgb '#1a6e1a' notitle, " . \
    "NaN with boxes lc rgb YOURS_THREAD title 'C, yours'"

do for [fmt in "png svg"] {
    W = 1300; H = 200 + (have_yours ? 52 : 42) * rows; @TERMINAL
    set output "plots/overhead.".fmt
    # Centred on the picture, not on the plot (the case names take the left third).
    set label 3 TITLE at screen 0.5, screen 0.975 center font ",13"
    set lmargin at screen 0.38
    set rmargin at screen 0.97
    set bmargin 5.5
    set tmargin 6
    set label 1 NOTE at screen 0.01, screen 0.012 font ",9"
    set label 2 GAINS at graph 0.98, graph 0.3 right font ",10" front
    # Bars from the left edge to the median; the spread; the figure; the goal, where there is one.
    plot sorted using (XMIN):0:(XMIN):4:($0 + TOP):($0 + BOTTOM):(colour(strcol(2))):ytic(1) \
             with boxxyerror lc rgb variable notitle, \
         '' using 4:($0 + (TOP + BOTTOM) / 2):5:6 with xerrorbars lc rgb "#333333" pt -1 lw 1 \
             notitle, \
         '' using (right($6, $7)):($0 + (TOP + BOTTOM) / 2):(us(column(4))) \
             with labels left offset 1, 0 notitle, \
         '' using ($7 > 0 ? $7 : NaN):($0 - 0.45):(0):(0.9) \
             with vectors nohead lc rgb "#d62728" lw 3 notitle, \
         '' using ($7 > 0 ? $7 : NaN):($0 - 0.45):(sprintf("goal ≤ %s", us($7))) \
             with labels left offset 0.5, 0.35 tc rgb "#d62728" font ",9" notitle, \
         NaN with boxes lc rgb (have_ref ? "#1f77b4" : YOURS_THREAD) \
             title (have_ref ? "C, the reference" : "C, yours"), \
         NaN with boxes lc rgb "#f0a040" title (have_python ? "Python" : "") \
         @YOURS_BARS
    unset label 1
    unset label 2
    unset label 3
}
