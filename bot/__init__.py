"""pmsbot: the gateway process."""

import sys

__version__ = "0.1.0"

# httpx imports its command-line client whenever click and rich are installed (a dev venv has them through
# import-linter): 80 modules and 4 MB in every pmsbot process, which never runs that client. A production install
# has neither, and httpx then leaves its client out by itself; this makes every install do the same.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
