"""The classroom benchmark's pure parts: /proc parsing, the process tree, roles, sizing math."""

import importlib
import os

import pytest

STATUS = "Name:\tpython\nVmPeak:\t  300000 kB\nVmRSS:\t  123456 kB\nThreads:\t4\n"
ROLLUP = "55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:  180000 kB\nPss:  90500 kB\n"
# pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
# utime stime cutime cstime ...
STAT = "4242 (python -m (x) y) S 17 4242 4242 0 -1 4194560 1 2 3 4 150 50 7 3 20 0 1 0"


@pytest.fixture
def classroom():
    """benchmarks/classroom.py (found from the repo root: pytest's `pythonpath` setting)."""
    return importlib.import_module("benchmarks.classroom")


def test_status_fields_are_read_in_kb_and_absent_ones_are_zero(classroom):
    assert classroom.status_kb(STATUS, "VmRSS") == 123456
    assert classroom.status_kb(ROLLUP, "Pss") == 90500
    assert classroom.status_kb(STATUS, "Pss") == 0


def test_stat_survives_parentheses_and_spaces_in_the_command_name(classroom):
    stat = classroom.parse_stat(STAT)
    assert stat.ppid == 17
    assert stat.cpu_ticks == 150 + 50 + 7 + 3


def test_stat_of_this_process_names_its_parent(classroom):
    with open(f"/proc/{os.getpid()}/stat") as file:
        assert classroom.parse_stat(file.read()).ppid == os.getppid()


def test_descendants_walk_the_whole_tree_and_nothing_else(classroom):
    parents = {10: 1, 11: 10, 12: 10, 13: 11, 20: 1, 21: 20}
    assert classroom.descendants(parents, 10) == [10, 11, 12, 13]
    assert classroom.descendants(parents, 21) == [21]
    assert classroom.descendants(parents, 99) == [99]


@pytest.mark.parametrize(
    ("cmdline", "parent", "expected"),
    [
        (["python", "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1"], None, "server"),
        (["python", "-m", "ipykernel_launcher", "-f", "k.json"], None, "kernel"),
        (["python", "-m", "course.lab.worker", "5"], "kernel", "template"),
        (["python", "-m", "course.lab.worker", "5"], "template", "environment"),
        (["sleep", "10"], "template", "environment"),
        (["sleep", "10"], "kernel", "other"),
    ],
)
def test_roles_come_from_the_command_line_and_the_parent(classroom, cmdline, parent, expected):
    assert classroom.role(cmdline, parent) == expected


def test_samples_add_up_by_role_and_in_total(classroom):
    one, two = classroom.Sample(), classroom.Sample()
    one.add("kernel", 2048, 4096, 10)
    one.add("environment", 1024, 3072, 1)
    two.add("kernel", 1024, 1024, 5)
    total = classroom._total([one, two])
    assert total.pss_mb == {"kernel": 3.0, "environment": 1.0}
    assert total.count == {"kernel": 2, "environment": 1}
    assert (total.pss_total_mb, total.rss_total_mb, total.cpu_ticks) == (4.0, 8.0, 16)


def test_summary_takes_medians_per_role(classroom):
    samples = []
    for pss_kb in (1024, 3072, 2048):
        sample = classroom.Sample()
        sample.add("kernel", pss_kb, pss_kb * 2, 0)
        samples.append(sample)
    summary = classroom.summarise(samples)
    assert summary["pss_mb"] == {"kernel": 2.0} and summary["rss_total_mb"] == 4.0
    with pytest.raises(classroom.BenchmarkError):
        classroom.summarise([])


def test_learners_per_machine_keep_the_reserve_and_round_down(classroom):
    assert classroom.learners_per_machine(8, 700, 1024) == 10  # (8192 - 1024) / 700 = 10.24
    assert classroom.learners_per_machine(32, 2800, 1024) == 11
    assert classroom.learners_per_machine(1, 700, 2048) == 0
    with pytest.raises(ValueError, match="positive"):
        classroom.learners_per_machine(8, 0, 1024)


def test_cores_for_a_class_scale_with_the_cell_cpu_share(classroom):
    assert classroom.cores_for_class(30, cpu_s=1.5, wall_s=2.0) == pytest.approx(22.5)
    with pytest.raises(ValueError, match="positive"):
        classroom.cores_for_class(30, 1.0, 0.0)


def test_sizing_table_has_one_row_per_machine_size(classroom):
    rows = classroom.sizing_table(
        {"rest": 700.0, "peak": 900.0}, {"cpu_s": 1.0, "wall_s": 2.0}, 1024
    )
    assert [row["ram_gb"] for row in rows] == list(classroom.RAM_SIZES_GB)
    eight = rows[0]
    assert eight["learners"] == {"rest": 10, "peak": 7}
    assert eight["cores"] == {"rest": 5.0, "peak": 3.5}  # 7 learners x 1.0 CPU-s / 2.0 s


def test_lessons_are_named_by_number_and_unknown_ones_refused(classroom):
    assert classroom.lesson_files(["00", "04"]) == ["00_start_here.ipynb", "04_integrations.ipynb"]
    with pytest.raises(ValueError, match="No single lesson '99'"):
        classroom.lesson_files(["99"])
    with pytest.raises(SystemExit):
        classroom.parse_args(["--learners", "2,4"])  # the one-learner run comes first


def test_profiles_name_the_lesson_and_the_day(classroom):
    def run(lessons, rest, expired):
        return classroom.Run(
            1, lessons, {}, 0, 0, 0, 1, {"pss_total_mb": rest}, {"pss_total_mb": expired}, []
        )

    lesson = run(["04_integrations.ipynb"], 600.0, 330.0)
    day = run(["00_a.ipynb", "01_b.ipynb"], 1200.0, 900.0)
    assert classroom.per_learner_profiles(lesson, day) == {
        "lesson 04, environments warm": 600.0,
        "lesson 04, after idle expiry": 330.0,
        "2 lessons, 2 kernels, environments warm": 1200.0,
        "2 lessons, 2 kernels, after idle expiry": 900.0,
    }
    assert len(classroom.per_learner_profiles(lesson, None)) == 2
