"""Two chapters executed at once (nbclient, the .venv kernel), N rounds (issue 13, item 7).

    .venv/bin/python benchmarks/loaded_execution.py 5

Prints each execution's outcome (ok / TIMEOUT after 240 s in a cell / error) and wall time.
Recorded 2026-12-01 on the loaded 2-core machine (load 4-8): 10 of 10 executions ok, 21-34 s each.
"""
import sys, time, concurrent.futures as cf
import jupytext, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError
CHAPTERS = ["book/learning/many_particles.py", "book/foundations/associative_memory.py"]
def run(path):
    nb = jupytext.read(path)
    start = time.time()
    try:
        NotebookClient(nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": "."}}).execute()
        return path, "ok", time.time() - start
    except CellTimeoutError:
        return path, "TIMEOUT", time.time() - start
    except Exception as e:
        return path, f"error {type(e).__name__}", time.time() - start
for r in range(int(sys.argv[1])):
    with cf.ThreadPoolExecutor(2) as pool:
        for path, state, wall in pool.map(run, CHAPTERS):
            print(f"round {r + 1}: {path} {state} {wall:.0f} s", flush=True)
