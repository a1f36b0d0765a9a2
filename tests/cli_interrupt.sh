# cli_interrupt.sh — SIGINT, SIGTERM and SIGHUP at many moments of a large run (reading,
# filtering, writing): the temporary file is always removed, and the existing output is always
# either the old complete file or the new complete one, never a mix. The moments vary; the
# assertions do not depend on which one a signal hits, so the test cannot flake on a slow or
# busy machine.
. tests/clilib.sh
W=1000
H=1000
# A large input that compresses badly, so writing the PNG takes a while: random RGB as a PPM.
printf 'P6\n%d %d\n255\n' $W $H >"$T/big.ppm"
head -c $((W * H * 3)) /dev/urandom >>"$T/big.ppm"
mkdir "$T/out"
cp tests/pngsuite/basn2c08.png "$T/old.png"

# The new complete output, made once without interruption.
run "$BLUR" "$T/big.ppm" "$T/new.png" --sigma 0 --compression 9
expect_status "uninterrupted reference run" 0

old=0 new=0 i=0
for delay in 0.02 0.1 0.25 0.5 0.8; do
    for sig in INT TERM HUP; do
        i=$((i + 1))
        cp "$T/old.png" "$T/out/result.png"
        "$BLUR" "$T/big.ppm" "$T/out/result.png" --sigma 0 --compression 9 2>"$T/stderr" &
        pid=$!
        sleep $delay
        kill -s $sig $pid 2>/dev/null
        wait $pid 2>/dev/null
        status=$?
        if cmp -s "$T/out/result.png" "$T/old.png"; then old=$((old + 1)); result=old
        elif cmp -s "$T/out/result.png" "$T/new.png"; then new=$((new + 1)); result=new
        else result=mixed; fi
        leftovers=$(ls -A "$T/out" | grep -v '^result.png$')
        if [ "$result" = mixed ]; then bad "SIG$sig after ${delay}s" "output is neither the old nor the new file"
        elif [ -n "$leftovers" ]; then bad "SIG$sig after ${delay}s" "left $leftovers"
        elif [ "$result" = old ] && [ "$status" -eq 0 ]; then bad "SIG$sig after ${delay}s" "exit 0 but output not replaced"
        else ok "SIG$sig after ${delay}s: $result output (status $status)"; fi
    done
done
echo "# $old runs interrupted (old output kept), $new completed before the signal"
finish
