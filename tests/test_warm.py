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
    warm.wait(warm.MODELS if heavy else warm.TABLES)
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
warm.wait(warm.TABLES)
time.sleep(1.0)  # time enough for the thread to import more, were it going to
tables = "pandas" in sys.modules, "altair" in sys.modules or "pydeck" in sys.modules
warm.wait(warm.CHARTS)
time.sleep(1.0)
charts = "altair" in sys.modules, "sklearn" in sys.modules or "lifetimes" in sys.modules
warm.start(warm.MODELS)
warm.wait(warm.MODELS)
print(*tables, *charts, "sklearn.cluster" in sys.modules and "lifetimes" in sys.modules)
"""


def test_each_group_waits_until_wanted_so_a_first_light_page_is_not_slowed():
    assert printed(LIGHT_FIRST) == ["True", "False", "True", "False", "True"]


OVERVIEW = """
import sys
from streamlit.testing.v1 import AppTest
from lib import warm
warm.start = lambda level=warm.TABLES: None  # nothing in the background: what the page imports
warm.wait = lambda level=warm.MODELS: None
at = AppTest.from_file("streamlit_app.py", default_timeout=120)
at.query_params["demo"] = "marketplace"
at.run()
assert not at.exception and at.dataframe, at.exception
print(*(name in sys.modules for name in ("altair", "pydeck", "sklearn", "lifetimes")))
"""


def test_the_overview_imports_no_chart_or_model_library():
    """What the Overview waits for (warm.TABLES) is all it imports: a server's first page is drawn
    before altair and pydeck load."""
    assert printed(OVERVIEW) == ["False"] * 4
