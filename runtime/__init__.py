"""The specledger runtime: an Emmett app whose errors are tracked by Bugsink (see ``app.py``)."""
