"""Run localstripe (the stateful fake Stripe used by the tests and the demo) on a port of our
choosing, with its state kept where we say: it otherwise pickles everything to one fixed file in
/tmp on every write, shared by all runs on the machine.

    python -m billing.payments.localstripe_server --port 8420 [--state data/localstripe.pickle]

Without --state nothing is written (tests: faster, and runs never see each other's data).
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state", type=Path, default=None)
    args = parser.parse_args()

    from localstripe import (  # deferred: a dev dependency, not installed in production
        resources,
        server,
    )

    def load(store) -> None:
        if args.state and args.state.exists():
            store.clear()
            store.update(pickle.loads(args.state.read_bytes()))  # noqa: S301 — our own file

    def dump(store) -> None:
        if args.state:
            tmp = args.state.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(dict(store), protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(args.state)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump
    sys.argv = [sys.argv[0], "--port", str(args.port)]  # loads through our patched load()
    server.start()


if __name__ == "__main__":
    main()
