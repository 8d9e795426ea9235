"""Where the escape tests let `go tool compile` write its object file.

The compiler deletes its -o file when a compile fails, whatever that file is: run as root,
`-o /dev/null` removes /dev/null from the machine. The tests give it a file in a directory
of their own instead, removed when the process exits.
"""
import atexit
import os
import shutil
import tempfile

_dir = tempfile.mkdtemp(prefix="gort-escape-obj-")
atexit.register(shutil.rmtree, _dir, True)

OBJ = os.path.join(_dir, "out.o")
