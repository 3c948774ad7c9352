"""The start notebook's self-check: pinned versions, a real moto server, the network guard."""

from course.lab import network_guard
from course.lessons import selfcheck


def test_every_pin_in_requirements_is_installed_at_its_version():
    items = selfcheck.package_items()
    assert {item.name for item in items} == set(selfcheck.pins())
    assert all(item.ok for item in items), [str(i) for i in items if not i.ok]


def test_a_wrong_or_missing_pin_is_a_problem_line(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# pins\nboto3==0.0.1\nno-such-package-xyz==1.0\n")
    lines = [str(item) for item in selfcheck.package_items(requirements)]
    assert lines[0].startswith("PROBLEM boto3: ") and "but pinned 0.0.1" in lines[0]
    assert lines[1] == ("PROBLEM no-such-package-xyz: not installed (pinned 1.0); run `make lab`")


def test_moto_server_answers_on_loopback_with_a_stable_line():
    item = selfcheck.moto_item()
    assert item.ok
    assert str(item) == (
        "ok      moto server: a local server on 127.0.0.1 answered for account 123456789012"
    )


def test_guard_status_follows_the_guard():
    assert network_guard.installed()
    assert "on: connections outside" in str(selfcheck.guard_item())
    network_guard.uninstall()
    try:
        assert "off:" in str(selfcheck.guard_item())
    finally:
        network_guard.install()


def test_run_prints_the_same_lines_every_time(capsys):
    assert selfcheck.run() is True
    first = capsys.readouterr().out
    selfcheck.run()
    assert capsys.readouterr().out == first
    assert first.endswith("All set: you can start the lessons.\n")
