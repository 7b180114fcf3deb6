"""Heavy libraries load once, in one thread, and every waiting session then finds them whole."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys, threading
from lib import warm
assert "pandas" not in sys.modules and "sklearn" not in sys.modules
seen = []
def session(heavy):
    warm.wait(heavy=heavy)
    import pandas
    seen.append(("sklearn.cluster" in sys.modules) if heavy else hasattr(pandas, "Timestamp"))
threads = [threading.Thread(target=session, args=(i % 2 == 0,)) for i in range(10)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(seen), all(seen))
"""


def printed(script: str) -> list[str]:
    """What `script` prints, run in a fresh interpreter (nothing imported yet)."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_ten_cold_sessions_wait_for_one_import_thread_and_see_whole_modules():
    assert printed(SCRIPT) == ["10", "True"]


LIGHT_FIRST = """
import sys, time
from lib import warm
warm.wait(heavy=False)
time.sleep(1.0)  # time enough for the thread to import more, were it going to
light = "sklearn" in sys.modules or "lifetimes" in sys.modules
warm.start(rest=True)
warm.wait(heavy=True)
print(light, "sklearn.cluster" in sys.modules and "lifetimes" in sys.modules)
"""


def test_model_libraries_wait_until_wanted_so_a_first_light_page_is_not_slowed():
    assert printed(LIGHT_FIRST) == ["False", "True"]
