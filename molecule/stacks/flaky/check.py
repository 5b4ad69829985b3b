"""The image's health check: print what /health says, and fail when it is not 200."""

import sys
import urllib.error
import urllib.request

try:
    with urllib.request.urlopen("http://127.0.0.1:8000/health", timeout=1) as response:
        print(response.read().decode())
except urllib.error.HTTPError as error:
    print(error.read().decode())
    sys.exit(1)
except OSError as error:
    print(f"no answer: {error}")
    sys.exit(1)
