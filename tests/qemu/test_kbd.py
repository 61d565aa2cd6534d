"""The PS/2 keyboard (issue 10): keys typed on QEMU's PS/2 keyboard through
the monitor's sendkey reach the shell through the i8042 port driver, the
keyboard class driver and the console, with upper case, symbols, Caps
Lock, the history on the arrows, Home/End, Backspace, Ctrl-C and Ctrl-U;
the command and its output are on the framebuffer too (read back from a
screendump with the kernel's own font); KeyboardLayout = de in
system.cfg changes what the keys give.  Every check looks at what the
serial console printed, so a key that went missing fails the test."""
import os
import re

import pytest

from ntstor import PROMPT, Machine, make_image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def kbd(request):
    m = Machine(log_name=request.module.__name__, monitor=True).start()
    yield m
    m.stop()




def test_the_keyboard_stack_started(kbd):
    out = kbd.cmd("devices")
    line = [l for l in out.splitlines() if l.startswith("device ") and "PNP0303" in l]
    assert line and "driver=i8042prt" in line[0] and "state=Started" in line[0], out
    log = kbd.cmd("log")
    assert "kbdclass: \\Device\\KeyboardClass0 connected" in log, log
    assert re.search(r"i8042prt: keyboard on ports 0x60/0x64 vector 0x[0-9a-f]+: scan code set 2 translated", log), log
    assert "console: keyboard layout us" in log


def test_upper_case_and_symbols(kbd):
    text = "PS2 Typed: A+b=C! x|y [z] {w} ~/@$%^&*()_,.;'<>?"
    out = kbd.typed("echo " + text)
    # The echo of the typed line, then the command's output on its own line.
    assert "echo " + text + "\n" in out, out
    assert "\n" + text + "\n" in out, out


def test_backslash_and_question_marks(kbd):
    out = kbd.typed("ls \\??")
    assert "PhysicalDrive0" in out, out


def test_caps_lock_upper_cases_letters_only(kbd):
    kbd.type_keys("echo ")
    kbd.sendkey("caps_lock")
    kbd.type_keys("abc1")
    kbd.sendkey("shift-d")          # Shift with Caps Lock: lower case
    kbd.sendkey("caps_lock")
    out = kbd.typed("e")
    assert "\nABC1de\n" in out, out


def test_history_with_arrows_and_line_editing(kbd):
    kbd.typed("echo first-line")
    kbd.typed("echo second-line")
    out = kbd.typed(["up", "up"])
    assert "\nfirst-line\n" in out and "second-line" not in out.split("\n", 1)[1], out
    out = kbd.typed(["up", "up", "up", "down"])
    assert "\nsecond-line\n" in out, out
    # Home, End, Left and Backspace edit in the middle of the line.
    kbd.type_keys("cho mid")
    kbd.sendkey("home")
    kbd.type_keys("e")
    kbd.sendkey("end")
    kbd.type_keys("dlx")
    kbd.sendkey("left")
    kbd.sendkey("backspace")
    out = kbd.typed([])
    assert "\nmiddx\n" in out, out      # "echo mid" + "dlx", Left, Backspace


def test_ctrl_c_abandons_and_ctrl_u_clears(kbd):
    kbd.type_keys("echo abandoned-line")
    kbd.sendkey("ctrl-c")
    kbd.child.expect_exact("^C", timeout=30)
    kbd.child.expect_exact(PROMPT, timeout=30)
    kbd.type_keys("echo cleared-line")
    kbd.sendkey("ctrl-u")
    out = kbd.typed("echo kept-line")
    assert "\nkept-line\n" in out, out
    assert "cleared-line\n" not in out
    # Nothing of the abandoned line ran.
    assert "\nabandoned-line\n" not in kbd.cmd("echo after")


def test_serial_still_works_beside_the_keyboard(kbd):
    assert kbd.cmd("echo from-serial") == "from-serial"


def test_screen_shows_the_command_and_its_output(kbd, tmp_path):
    kbd.typed("echo On-Screen 42!")
    lines = kbd.screen_text(str(tmp_path / "screen.ppm"))
    for i, l in enumerate(lines[:-1]):
        if l.endswith("ntstor> echo On-Screen 42!") and lines[i + 1] == "On-Screen 42!":
            break
    else:
        pytest.fail("command and output not on the screen:\n" + "\n".join(lines))


def test_screen_reader_fails_on_text_that_is_not_there(kbd, tmp_path):
    lines = kbd.screen_text(str(tmp_path / "screen2.ppm"))
    assert any("ntstor>" in l for l in lines), lines
    assert not any("never-typed-text" in l for l in lines)


@pytest.fixture(scope="module")
def kbd_de(request, image_dir):
    with open(os.path.join(ROOT, "tools", "system.cfg")) as f:
        cfg = f.read().replace("KeyboardLayout = us", "KeyboardLayout = de")
    assert "KeyboardLayout = de" in cfg
    img = make_image(str(image_dir / "kbd-de.img"), system_cfg=cfg)
    m = Machine(image=img, log_name=request.module.__name__ + "-de", monitor=True).start()
    yield m
    m.stop()


def test_german_layout(kbd_de):
    assert "console: keyboard layout de" in kbd_de.cmd("log")
    # The keys a US keyboard calls y, z, Shift-7, right Alt-q, Shift-0, -.
    out = kbd_de.typed(["e", "c", "h", "o", "spc", "y", "z", "shift-7", "alt_r-q", "shift-0", "slash"])
    assert "\nzy/@=-\n" in out, out
