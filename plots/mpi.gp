# mpi.gp: a timeline of the ranks (lesson 10): the same skewed work, split statically (one
# share per rank, MPI_Scatterv) and dynamically (rank 0 hands out one item at a time to whoever
# comes back). Reads the gantt rows of plots/data/mpi.csv:
# gantt,static|dynamic,rank,start_s,end_s,0,0 (times since the map began on that rank).
load "plots/style.gpi"

data = chart_data("mpi")
cores = int(fact(data, "cores"))
# The end of the last item of a split, in ms: its makespan.
last(kind) = real(system(sprintf("awk -F, '$1 == \"gantt\" && $2 == \"%s\" && $5 > m " . \
    "{ m = $5 } END { printf \"%%.1f\", 1000 * m }' '%s'", kind, data)))
static_ms = last("static")
dynamic_ms = last("dynamic")

pick(kind) = (strcol(1) eq "gantt" && strcol(2) eq kind) ? column(3) : NaN
ms(col) = 1000 * column(col)
set linetype 101 lc rgb C_PROCESS
set linetype 102 lc rgb C_THREAD
# Items that took under a millisecond are drawn 0.6 ms wide, so that they can be seen at all.
BARS = 'using (ms(4)):(pick(K)):(ms(4)):(ms(5) - ms(4) < 0.6 ? ms(4) + 0.6 : ms(5)):' . \
       '(pick(K) - 0.36):(pick(K) + 0.36) with boxxyerror lt LT notitle'

set xrange [0:(static_ms > dynamic_ms ? static_ms : dynamic_ms) * 1.08]
set yrange [3.6:-0.6]
set ytics ("rank 0" 0, "rank 1" 1, "rank 2" 2, "rank 3" 3) scale 0
set xlabel "ms since the map began"
set grid xtics noytics
set style fill solid 0.85 border -1
TITLE = sprintf("Skewed work on 4 MPI ranks, %d cores: a static split gives one rank every " . \
                "costly item, a dynamic one spreads them\n%s; %s%s", cores, fact(data, "skew_work"), \
                machine(data), is_ref(data) ? "" : "\n" . NO_REF)

do for [fmt in "png svg"] {
    W = 1100; H = 620; @TERMINAL
    set output "plots/mpi.".fmt
    set multiplot layout 2, 1 title TITLE font ",13"
    K = "static"; LT = 101
    set title sprintf("static (MPI_Scatterv / MPI_Gatherv): done at %.0f ms; ranks 1-3 idle " . \
                      "while rank 0 works", static_ms)
    plot data @BARS
    K = "dynamic"; LT = 102
    set title sprintf("dynamic (rank 0 dispatches, MPI_Recv from MPI_ANY_SOURCE): done at " . \
                      "%.0f ms; rank 0 computes nothing", dynamic_ms)
    plot data @BARS
    unset multiplot
}
