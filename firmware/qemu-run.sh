#!/usr/bin/env bash
# cargo runner: qemu-run.sh <elf>. The board follows the target: thumbv7em-none-eabihf ->
# mps2-an386 (Cortex-M4F), thumbv7m-none-eabi -> lm3s6965evb (Cortex-M3), thumbv6m-none-eabi ->
# microbit (Cortex-M0). Semihosting output goes to stdout; the guest's exit code is qemu's.
set -euo pipefail
elf=$1
case "$elf" in
  */thumbv7em-none-eabihf/*) machine=mps2-an386; cpu=cortex-m4 ;;
  */thumbv7m-none-eabi/*)    machine=lm3s6965evb; cpu=cortex-m3 ;;
  */thumbv6m-none-eabi/*)    machine=microbit;    cpu=cortex-m0 ;;
  *) echo "qemu-run.sh: cannot infer the board from $elf" >&2; exit 2 ;;
esac
exec timeout -k 5 "${QEMU_TIMEOUT:-120}" qemu-system-arm -cpu "$cpu" -machine "$machine" -nographic \
  -semihosting-config enable=on,target=native ${QEMU_EXTRA:-} -kernel "$elf"
