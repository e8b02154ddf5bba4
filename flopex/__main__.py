import sys

from flopex.cli import main

sys.exit(main())
