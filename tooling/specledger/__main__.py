from __future__ import annotations

from specledger.cli.main import main

main()
