"""The xHCI driver's interrupt sources (issue 10): MSI where the kernel
offers it (QEMU's nec-usb-xhci has an MSI capability; qemu-xhci only
MSI-X, which the kernel does not offer, so it runs on INTx in
test_usb.py), and polling when system.cfg says InterruptMode = Poll.  In
each, `usb` names the mode, the keyboard and the stick are enumerated at
boot, and a command typed on the USB keyboard runs."""
import os

import pytest

from ntstor import PROMPT, Machine, make_image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def stick(tmp_path_factory):
    path = tmp_path_factory.mktemp("usbmodes") / "stick.img"
    with open(path, "wb") as f:
        f.truncate(8 << 20)
    return str(path)


@pytest.mark.parametrize("controller,mode", [("nec-usb-xhci", "msi"), ("qemu-xhci", "poll")])
def test_interrupt_mode(request, image_dir, stick, controller, mode):
    with open(os.path.join(ROOT, "tools", "system.cfg")) as f:
        cfg = f.read()
    if mode == "poll":
        assert "InterruptMode = Msi           ; Msi | Intx | Poll\nDebug" in cfg
        cfg = cfg.replace("InterruptMode = Msi           ; Msi | Intx | Poll\nDebug",
                          "InterruptMode = Poll\nDebug")
    img = make_image(str(image_dir / ("usb-%s.img" % mode)), system_cfg=cfg)
    args = ["--", "-device", controller + ",id=xhci", "-device", "usb-kbd,bus=xhci.0,id=kbd1",
            "-drive", "if=none,id=stick,format=raw,file=" + stick,
            "-device", "usb-storage,bus=xhci.0,drive=stick"]
    with Machine(args=args, image=img, log_name="usb-" + mode, monitor=True) as m:
        ctl = m.one("usb", "usb")
        assert ctl["mode"] == mode and ctl["devices"] == "2", ctl
        if mode == "poll":
            assert ctl["interrupts"] == "0", ctl
        else:
            assert int(ctl["interrupts"]) > 0, ctl
        devs = {d["vid"]: d for d in m.lines("usb", "usbdev")}
        assert devs["0627"]["driver"] == "kbdhid" and devs["0627"]["state"] == "Started", devs
        assert devs["46f4"]["class"] == "08", devs
        m.type_keys("echo Typed-In-%s" % mode)
        m.sendkey("ret")
        m.child.expect_exact(PROMPT, timeout=60)
        assert "\nTyped-In-%s\r" % mode in m.child.before.replace("\r\r", "\r"), m.child.before
