module gort/bench/maps/side

go 1.19
