"""The maps' keeper (surveys/coverage/kept.py): a value comes back only under its stamp, sizes
are counted through replacements, the least recently used go first, and each database is apart."""

from __future__ import annotations

import threading

from surveys.coverage.kept import Kept


class Engine:  # any weak-referenceable object stands for a database
    pass


def test_a_value_comes_back_under_its_own_stamp_only():
    kept: Kept[str] = Kept()
    one, two = Engine(), Engine()
    kept.put(one, "k", 1, "a", 10, 100)
    assert kept.get(one, "k", 1) == "a"
    assert kept.get(one, "k", 2) is None and kept.get(two, "k", 1) is None
    kept.put(one, "k", 2, "b", 20, 100)  # replaced: its size counted once
    assert (kept.get(one, "k", 2), kept.get(one, "k", 1), kept.size(one)) == ("b", None, 20)
    kept.put(one, "k", 3, "c", 30, 100)  # too large to keep: the older value goes too
    assert (kept.get(one, "k", 2), kept.get(one, "k", 3), kept.size(one)) == (None, None, 0)
    kept.put(one, "k", 2, "b", 20, 100)
    kept.clear()
    assert kept.get(one, "k", 2) is None and kept.size(one) == 0


def test_the_least_recently_used_go_first_and_large_values_are_never_kept():
    kept: Kept[str] = Kept()
    engine = Engine()
    for name in "abcd":
        kept.put(engine, name, 0, name, 25, 100)
    assert kept.get(engine, "a", 0) == "a"  # now the most recently used
    kept.put(engine, "e", 0, "e", 25, 100)
    assert [kept.get(engine, n, 0) for n in "abcde"] == ["a", None, "c", "d", "e"]
    assert kept.size(engine) == 100
    kept.put(engine, "f", 0, "f", 26, 100)  # over a quarter of the limit
    assert kept.get(engine, "f", 0) is None and kept.size(engine) == 100


def test_threads_keep_the_sizes_right():
    kept: Kept[int] = Kept()
    engine = Engine()

    def work(offset: int) -> None:
        for i in range(2_000):
            kept.put(engine, (offset, i % 50), 0, i, 1 + i % 3, 1_000)
            kept.get(engine, (offset, (i * 7) % 50), 0)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = sum(kept._kept[engine][key][2] for key in kept._kept[engine])
    assert kept.size(engine) == expected <= 1_000
