#!/usr/bin/env python3
"""pty-driver.py [--rows R] [--cols C] [--timeout S] STEP... -- CMD ARG...

Runs CMD as the session leader of a new pseudo-terminal (its controlling terminal, stdin, stdout
and stderr), then plays the STEPs against the terminal, in order:
  expect:REGEX    wait until everything read so far matches REGEX (Python re, DOTALL)
  send:TEXT       type TEXT (backslash escapes: \\r, \\x03, ...)
  resize:RxC      set the terminal's window size (the kernel sends SIGWINCH to CMD)
  signal:NAME     send signal NAME (TERM, INT, ...) to CMD
  raw             check that CMD put the terminal in raw mode (no ICANON, ECHO, ISIG)
  sleep:SECONDS
Then it waits for CMD to exit, prints what CMD wrote (\\r removed), and last the lines
"exit: N" (128+N for a signal) and "termios: restored" or "termios: changed". Exits 1 with a
message when a step fails or times out."""
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import fcntl


def main():
    args = sys.argv[1:]
    rows, cols, timeout = 24, 80, 20.0
    steps = []
    while args and args[0] != "--":
        a = args.pop(0)
        if a == "--rows":
            rows = int(args.pop(0))
        elif a == "--cols":
            cols = int(args.pop(0))
        elif a == "--timeout":
            timeout = float(args.pop(0))
        else:
            steps.append(a)
    if not args:
        sys.exit("pty-driver.py: no command (after --)")
    command = args[1:]

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    before = termios.tcgetattr(slave)

    def make_controlling_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                            preexec_fn=make_controlling_terminal, close_fds=True)
    output = bytearray()

    def pump(wait):
        ready, _, _ = select.select([master], [], [], wait)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            output.extend(data)

    def fail(message):
        proc.kill()
        proc.wait()
        sys.stdout.write(output.decode(errors="replace").replace("\r", ""))
        sys.exit("pty-driver.py: " + message)

    for step in steps:
        kind, _, value = step.partition(":")
        if kind == "expect":
            deadline = time.monotonic() + timeout
            pattern = re.compile(value, re.DOTALL)
            while not pattern.search(output.decode(errors="replace").replace("\r", "")):
                if time.monotonic() > deadline:
                    fail(f"timed out waiting for /{value}/")
                pump(0.05)
        elif kind == "send":
            os.write(master, value.encode().decode("unicode_escape").encode("latin-1"))
        elif kind == "resize":
            r, c = value.split("x")
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", int(r), int(c), 0, 0))
        elif kind == "signal":
            proc.send_signal(getattr(signal, "SIG" + value))
        elif kind == "raw":
            lflag = termios.tcgetattr(slave)[3]
            if lflag & (termios.ICANON | termios.ECHO | termios.ISIG):
                fail("the terminal is not in raw mode")
        elif kind == "sleep":
            deadline = time.monotonic() + float(value)
            while time.monotonic() < deadline:
                pump(0.02)
        else:
            fail(f"unknown step {step}")

    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            fail("timed out waiting for the command to exit")
        pump(0.05)
    # What the command wrote just before it exited.
    while select.select([master], [], [], 0.1)[0]:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        output.extend(data)
    after = termios.tcgetattr(slave)
    code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    sys.stdout.write(output.decode(errors="replace").replace("\r", ""))
    print(f"\nexit: {code}")
    print("termios: " + ("restored" if after[:4] == before[:4] else "changed"))


main()
