#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""spgate-modemsim against a DTE played here: the device opened as a dialer opens it.

usage: test_modemsim.py SPGATE_MODEMSIM

Runs one simulator with four modems in a temporary directory, a hook that appends its
arguments to a file, and checks the AT dialogue, each number's behaviour, the hooks, reload
and shutdown. Every wait is bounded; the whole run takes about 15 s.
"""
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time
import tty

EXE = os.path.abspath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix="modemsim-test-")
CONFIG = os.path.join(TMP, "modemsim.yaml")
HOOK = os.path.join(TMP, "hook.sh")
HOOK_LOG = os.path.join(TMP, "hook.log")
SIM_LOG = os.path.join(TMP, "modemsim.log")
DEV = {n: os.path.join(TMP, "dev", "modem%d" % n) for n in (1, 2, 3, 4)}
PEER = {1: "203.0.113.21", 2: "203.0.113.22", 3: "203.0.113.23", 4: "203.0.113.24"}

NUMBERS = """\
numbers:
  - { number: "+15550100", answer: 33600 }
  - { number: "+15550101", busy: 2, answer: 28800 }
  - { number: "+15550102", result: no_answer }
  - { number: "+15550103", result: busy, ring: 0.1 }
  - { number: "+15550104", result: no_carrier, after: 0.4 }
  - { number: "+15550105", answer: 33600, drop_after: 0.5 }
  - { number: "+15550106", answer: 33600, retrain: { after: 0.4, speed: 26400 } }
  - { number: "+15550107", result: error, ring: 0 }
  - { number: "+1 555 0108", answer: 14400, ring: 3 }
"""


def config_text(numbers=NUMBERS):
    return """\
hook: %s
ring: 0.2
modems:
  - { device: %s, peer: %s }
  - { device: %s, peer: %s, dialtone: false }
  - { device: %s, peer: %s, dead: true }
  - { device: %s, peer: %s, prefix: "9," }
%s""" % (HOOK, DEV[1], PEER[1], DEV[2], PEER[2], DEV[3], PEER[3], DEV[4], PEER[4], numbers)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Dte:
    """The dialer's end: the device opened raw, as spgate-control opens a serial line."""

    def __init__(self, n):
        self.fd = os.open(DEV[n], os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        self.buf = b""

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def send(self, data):
        os.write(self.fd, data)

    def _fill(self, until):
        r, _, _ = select.select([self.fd], [], [], max(0.0, until - time.monotonic()))
        if not r:
            return False
        self.buf += os.read(self.fd, 4096)
        return True

    def expect(self, data, timeout=2.0):
        """Waits for data; returns what came before it (and drops both from the buffer)."""
        until = time.monotonic() + timeout
        while data not in self.buf:
            if not self._fill(until):
                raise Failure("expected %r within %.1f s, got %r" % (data, timeout, self.buf))
        before, _, self.buf = self.buf.partition(data)
        return before

    def quiet(self, seconds):
        """Everything that comes within seconds."""
        until = time.monotonic() + seconds
        while self._fill(until):
            pass
        got, self.buf = self.buf, b""
        return got

    def command(self, cmd, answer, timeout=2.0):
        self.send(cmd + b"\r")
        self.expect(answer, timeout)

    def reset(self):
        self.quiet(0.05)
        self.command(b"ATZ", b"OK\r\n")
        self.quiet(0.05)


def hook_lines():
    try:
        with open(HOOK_LOG) as f:
            return [line.rstrip("\n") for line in f]
    except FileNotFoundError:
        return []


def wait_for(cond, what, timeout=3.0):
    until = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > until:
            raise Failure("timed out waiting for " + what)
        time.sleep(0.02)


def sim_log():
    with open(SIM_LOG, errors="replace") as f:
        return f.read()


expected_hooks = []


def expect_hook(event, n, number, speed):
    expected_hooks.append("%s %s %s %s %s" % (event, DEV[n], number, speed, PEER[n]))


def wait_hooks():
    wait_for(lambda: len(hook_lines()) >= len(expected_hooks),
             "%d hook lines, have %r" % (len(expected_hooks), hook_lines()))
    got = [line.split(" | ")[0] for line in hook_lines()]
    check(got == expected_hooks, "hook lines\n  got      %r\n  expected %r" % (got, expected_hooks))


def connect(dte, number, speed, timeout=2.0):
    dte.send(b"ATDT" + number + b"\r")
    dte.expect(b"\r\nCONNECT %d\r\n" % speed, timeout)


def escape(dte, guard=0.25):
    time.sleep(guard)
    dte.send(b"+++")
    dte.expect(b"\r\nOK\r\n", guard + 1.0)


# --- the tests, in the order they run (hook lines accumulate across them) ---


def at_answers_ok_with_echo():
    d = Dte(1)
    d.reset()
    d.send(b"AT\r")
    check(d.quiet(0.3) == b"AT\r\r\nOK\r\n", "echo and OK")
    d.send(b"at\r")
    check(d.quiet(0.3) == b"at\r\r\nOK\r\n", "lower case")
    d.close()


def ate0_turns_echo_off_and_atz_on_again():
    d = Dte(1)
    d.reset()
    d.command(b"ATE0", b"\r\nOK\r\n")
    d.send(b"AT\r")
    check(d.quiet(0.3) == b"\r\nOK\r\n", "no echo after ATE0")
    d.command(b"ATZ", b"\r\nOK\r\n")
    d.send(b"AT\r")
    check(d.quiet(0.3) == b"AT\r\r\nOK\r\n", "echo again after ATZ")
    d.close()


def atv0_gives_numeric_codes():
    d = Dte(1)
    d.reset()
    d.send(b"ATE0V0\r")
    check(d.quiet(0.3).endswith(b"0\r"), "0 for OK")
    d.send(b"ATY\r")
    check(d.quiet(0.3) == b"4\r", "4 for ERROR")
    d.send(b"ATDT+15550103\r")
    check(d.quiet(0.6) == b"7\r", "7 for BUSY")
    d.close()


def unknown_command_is_an_error():
    d = Dte(1)
    d.reset()
    for bad in (b"ATY", b"ATE2", b"AT&Q", b"ATS300=1", b"ATS1=256", b"ATA"):
        d.send(bad + b"\r")
        check(d.quiet(0.3) == bad + b"\r\r\nERROR\r\n", bad.decode() + " -> ERROR")
    d.close()


def one_line_holds_many_commands():
    d = Dte(1)
    d.reset()
    d.send(b"AT&F E0 V1 Q0 X4 &C1 &D2 &K3 L1 M0 S7=60 S12=40\r")
    check(d.quiet(0.3).endswith(b"S12=40\r\r\nOK\r\n"), "init string OK, echo off from then on")
    d.send(b"ATS7?S12?\r")
    check(d.quiet(0.3) == b"\r\n060\r\n\r\n040\r\n\r\nOK\r\n", "S registers read back")
    d.send(b"ATI\r")
    check(d.quiet(0.3) == b"\r\nspgate-modemsim\r\n\r\nOK\r\n", "ATI")
    d.send(b"\r")
    check(d.quiet(0.3) == b"", "empty line: nothing")
    d.send(b"AT" + b"E" * 300 + b"\r")
    check(d.quiet(0.3) == b"\r\nERROR\r\n", "over-long line")
    d.send(b"+++ATI0\r")
    check(d.quiet(0.3) == b"\r\nspgate-modemsim\r\n\r\nOK\r\n", "noise before AT is skipped")
    d.send(b"hello\r")
    check(d.quiet(0.3) == b"", "a line without AT: nothing")
    d.send(b"ATQ1\r")
    check(d.quiet(0.3) == b"", "Q1: no result")
    d.send(b"ATQ0\r\n")
    check(d.quiet(0.3) == b"\r\nOK\r\n", "CR LF is one end of line")
    d.close()


def a_known_number_connects_after_the_ring():
    d = Dte(1)
    d.reset()
    t0 = time.monotonic()
    connect(d, b"+15550100", 33600)
    elapsed = time.monotonic() - t0
    check(0.15 <= elapsed < 1.0, "rang 0.2 s, took %.2f s" % elapsed)
    expect_hook("up", 1, "+15550100", 33600)
    escape(d, guard=1.1)  # the default guard time: 1 s
    d.command(b"ATH0", b"\r\nOK\r\n")
    expect_hook("down", 1, "+15550100", 33600)
    d.close()
    wait_hooks()


def escape_needs_guard_times_and_ato_goes_back_online():
    d = Dte(1)
    d.reset()
    d.command(b"ATS12=10", b"OK\r\n")  # 0.2 s guard
    connect(d, b"+15550100", 33600)
    expect_hook("up", 1, "+15550100", 33600)
    d.send(b"data+++")
    check(d.quiet(0.6) == b"", "no OK without the guard before +++")
    time.sleep(0.3)
    d.send(b"+++x")
    check(d.quiet(0.6) == b"", "no OK with data after +++")
    escape(d)
    d.command(b"ATO", b"\r\nCONNECT 33600\r\n")
    d.send(b"ATH0\r")
    check(d.quiet(0.3) == b"", "online again: commands are data")
    escape(d)
    d.command(b"ATH0", b"\r\nOK\r\n")
    expect_hook("down", 1, "+15550100", 33600)
    d.command(b"ATO", b"\r\nNO CARRIER\r\n")
    d.close()
    wait_hooks()


def busy_twice_then_answers():
    d = Dte(1)
    d.reset()
    for _ in range(2):
        d.command(b"ATDT+15550101", b"\r\nBUSY\r\n")
    connect(d, b"+15550101", 28800)
    expect_hook("up", 1, "+15550101", 28800)
    d.close()  # DTR drop while online hangs up
    expect_hook("down", 1, "+15550101", 28800)
    wait_hooks()


def set_hupcl(fd, on):
    attrs = termios.tcgetattr(fd)
    attrs[2] = attrs[2] | termios.HUPCL if on else attrs[2] & ~termios.HUPCL
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def closing_with_hupcl_off_keeps_the_call_up():
    # As a serial port: HUPCL on (the default) drops DTR on the last close, which hangs up
    # (busy_twice_then_answers); HUPCL off leaves DTR up and the call lives on.
    d = Dte(1)
    d.reset()
    d.command(b"ATS12=10", b"OK\r\n")  # 0.2 s guard
    connect(d, b"+15550100", 33600)
    expect_hook("up", 1, "+15550100", 33600)
    set_hupcl(d.fd, False)
    d.close()
    time.sleep(0.5)  # longer than the modem's poll of its device
    check("HUPCL off: DTR held, call to +15550100 stays up" in sim_log(), "the modem logged the held call")
    d = Dte(1)
    escape(d)
    d.command(b"ATO", b"\r\nCONNECT 33600\r\n")
    set_hupcl(d.fd, True)
    d.close()  # HUPCL back on: this close drops DTR and hangs up
    expect_hook("down", 1, "+15550100", 33600)
    wait_hooks()


def each_failure_result():
    d = Dte(1)
    d.reset()
    t0 = time.monotonic()
    d.command(b"ATDT+15550102", b"\r\nNO ANSWER\r\n")
    check(time.monotonic() - t0 >= 0.15, "NO ANSWER after the ring")
    d.command(b"ATDT+15550103", b"\r\nBUSY\r\n")
    d.command(b"ATDT+15550103", b"\r\nBUSY\r\n")
    t0 = time.monotonic()
    d.command(b"ATDT+15550104", b"\r\nNO CARRIER\r\n")
    check(time.monotonic() - t0 >= 0.35, "NO CARRIER after 0.4 s")
    d.command(b"ATDT+15550107", b"\r\nERROR\r\n")
    d.command(b"ATDT+15559999", b"\r\nNO ANSWER\r\n")  # unknown: default no_answer
    d.command(b"ATDT 1-555-0100;", b"\r\nNO ANSWER\r\n")  # 1555.. is not +1555..
    d.close()


def modem_without_dialtone():
    d = Dte(2)
    d.reset()
    d.command(b"ATDT+15550100", b"\r\nNO DIALTONE\r\n")
    d.close()


def dead_modem_says_nothing():
    d = Dte(3)
    d.send(b"AT\rATZ\rATDT+15550100\r")
    check(d.quiet(2.0) == b"", "a dead modem is silent")
    d.close()


def prefix_is_stripped_before_matching():
    d = Dte(4)
    d.reset()
    d.command(b"ATDT+15550100", b"\r\nNO ANSWER\r\n")  # not through the PBX
    connect(d, b"9,+1 555 0100", 33600)
    expect_hook("up", 4, "+15550100", 33600)
    d.close()
    expect_hook("down", 4, "+15550100", 33600)
    wait_hooks()


def a_byte_aborts_the_dial():
    d = Dte(1)
    d.reset()
    d.send(b"ATDT+15550108\r\n")  # rings 3 s; the LF after CR must not abort
    check(d.quiet(0.3) == b"ATDT+15550108\r", "the echo, nothing more while ringing")
    d.send(b"x")
    d.expect(b"\r\nNO CARRIER\r\n", 1.0)
    d.command(b"AT", b"\r\nOK\r\n")
    d.close()


def drop_after_hangs_up_with_no_carrier():
    d = Dte(1)
    d.reset()
    connect(d, b"+15550105", 33600)
    expect_hook("up", 1, "+15550105", 33600)
    t0 = time.monotonic()
    d.expect(b"\r\nNO CARRIER\r\n", 2.0)
    check(time.monotonic() - t0 >= 0.4, "dropped after 0.5 s")
    expect_hook("down", 1, "+15550105", 33600)
    d.command(b"AT", b"\r\nOK\r\n")  # back in command mode
    d.close()
    wait_hooks()


def retrain_sends_a_new_connect():
    d = Dte(1)
    d.reset()
    d.command(b"ATS12=10", b"OK\r\n")
    connect(d, b"+15550106", 33600)
    expect_hook("up", 1, "+15550106", 33600)
    d.expect(b"\r\nCONNECT 26400\r\n", 2.0)
    expect_hook("retrain", 1, "+15550106", 26400)
    escape(d)
    d.command(b"ATH0", b"\r\nOK\r\n")
    expect_hook("down", 1, "+15550106", 26400)
    d.close()
    wait_hooks()


def hooks_of_a_modem_run_in_order_with_environment():
    # the hook's "up" takes 0.3 s; the "down" queued behind it must wait for it
    d = Dte(1)
    d.reset()
    connect(d, b"+15550100", 33600)
    d.close()
    expect_hook("up", 1, "+15550100", 33600)
    expect_hook("down", 1, "+15550100", 33600)
    wait_hooks()
    last = hook_lines()[-1]
    check(last.endswith(" | down,%s,+15550100,33600,%s" % (DEV[1], PEER[1])),
          "SPG_MODEM_* environment: %r" % last)


def sighup_reloads_numbers(proc):
    write(CONFIG, config_text(NUMBERS.replace(
        '"+15550103", result: busy, ring: 0.1', '"+15550103", answer: 9600, ring: 0.1')))
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reloaded" in sim_log(), "the reload")
    d = Dte(1)
    d.reset()
    connect(d, b"+15550103", 9600)
    expect_hook("up", 1, "+15550103", 9600)
    d.close()
    expect_hook("down", 1, "+15550103", 9600)
    wait_hooks()
    # a bad file is refused and the running configuration stays
    write(CONFIG, config_text() + "bogus: 1\n")
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload failed" in sim_log(), "the refused reload")
    check("bogus" in sim_log(), "the reload error names the key")
    d = Dte(1)
    d.reset()
    connect(d, b"+15550103", 9600)
    expect_hook("up", 1, "+15550103", 9600)
    return d  # left connected: SIGTERM must hang it up


def sigterm_hangs_up_and_removes_links(proc, d):
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=10)
    check(rc == 0, "exit status %d" % rc)
    expect_hook("down", 1, "+15550103", 9600)
    d.close()
    wait_hooks()
    for n in DEV:
        check(not os.path.lexists(DEV[n]), DEV[n] + " removed")
    check("counters:" in sim_log(), "counters at exit")


def bad_config_exits_2_naming_the_place():
    bad = os.path.join(TMP, "bad.yaml")
    write(bad, "modems:\n  - { device: %s }\nnumbers:\n  - { number: \"+1\", anser: 300 }\n"
          % DEV[1])
    r = subprocess.run([EXE, "--config", bad], capture_output=True, text=True, timeout=10)
    check(r.returncode == 2, "exit 2, got %d" % r.returncode)
    check(r.stderr.startswith(bad + ":4:21: numbers[0]: unknown key \"anser\""), r.stderr)
    write(bad, "modems:\n  - { device: %s }\nring: 1.2.3\n" % DEV[1])
    r = subprocess.run([EXE, "--config", bad, "--check-config"], capture_output=True, text=True,
                       timeout=10)
    check(r.returncode == 2 and r.stderr.startswith(bad + ":3:7: ring: "), r.stderr)
    r = subprocess.run([EXE, "--config", CONFIG, "--check-config"], capture_output=True,
                       text=True, timeout=10)
    check(r.returncode == 0, "a good file passes --check-config: " + r.stderr)


def a_device_that_is_not_a_link_is_refused():
    os.makedirs(os.path.dirname(DEV[1]), exist_ok=True)
    write(DEV[1], "a file\n")
    r = subprocess.run([EXE, "--config", CONFIG], capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and "not a symlink" in r.stderr, r.stderr)
    check(os.path.isfile(DEV[1]) and not os.path.islink(DEV[1]), "the file left alone")
    for n in DEV:
        check(not os.path.islink(DEV[n]), DEV[n] + " not left behind")
    os.unlink(DEV[1])


def main():
    write(HOOK, """#!/bin/sh
[ "$1" = up ] && sleep 0.3
echo "$* | $SPG_MODEM_EVENT,$SPG_MODEM_DEVICE,$SPG_MODEM_NUMBER,$SPG_MODEM_SPEED,$SPG_MODEM_PEER" >> %s
""" % HOOK_LOG, 0o755)
    write(CONFIG, config_text())
    try:
        for t in (bad_config_exits_2_naming_the_place, a_device_that_is_not_a_link_is_refused):
            t()
            print("ok   " + t.__name__)
    except (Failure, OSError, subprocess.TimeoutExpired) as e:
        print("FAIL %s" % e)
        return 1
    log = open(SIM_LOG, "w")
    proc = subprocess.Popen([EXE, "--config", CONFIG], stderr=log)
    failed = None
    try:
        wait_for(lambda: all(os.path.islink(p) for p in DEV.values()), "the devices")
        tests = [at_answers_ok_with_echo, ate0_turns_echo_off_and_atz_on_again,
                 atv0_gives_numeric_codes, unknown_command_is_an_error,
                 one_line_holds_many_commands, a_known_number_connects_after_the_ring,
                 escape_needs_guard_times_and_ato_goes_back_online, busy_twice_then_answers,
                 closing_with_hupcl_off_keeps_the_call_up,
                 each_failure_result, modem_without_dialtone, dead_modem_says_nothing,
                 prefix_is_stripped_before_matching, a_byte_aborts_the_dial,
                 drop_after_hangs_up_with_no_carrier, retrain_sends_a_new_connect,
                 hooks_of_a_modem_run_in_order_with_environment]
        for t in tests:
            t0 = time.monotonic()
            t()
            print("ok   %s (%.1f s)" % (t.__name__, time.monotonic() - t0))
        d = sighup_reloads_numbers(proc)
        print("ok   sighup_reloads_numbers")
        sigterm_hangs_up_and_removes_links(proc, d)
        print("ok   sigterm_hangs_up_and_removes_links")
    except (Failure, OSError, subprocess.TimeoutExpired) as e:
        failed = e
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    if failed is not None:
        print("FAIL %s" % failed)
        print("--- spgate-modemsim log ---\n" + sim_log())
        print("--- hook log ---\n" + "\n".join(hook_lines()))
        return 1
    shutil.rmtree(TMP, ignore_errors=True)
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
