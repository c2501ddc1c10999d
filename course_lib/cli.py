"""The `course` command: `course lab`, and the instructor's tools as they arrive (release, verify, grade).

Each subcommand is a small function `_cmd_NAME(args) -> exit code` registered in `build_parser`.
"""
import argparse
import os
import secrets
import socket
import sys


def _free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _cmd_lab(args):
    """Start JupyterLab on the course folder and print the URL to open (with its token)."""
    root = os.path.abspath(args.root)
    if not os.path.isdir(root):
        print(f"course lab: no such folder: {root}", file=sys.stderr)
        return 2
    port = args.port or _free_port(args.ip)
    token = secrets.token_hex(24)
    url = f"http://{args.ip}:{port}/lab?token={token}"
    print(f"JupyterLab for the course is starting in {root}\nOpen: {url}\nStop it with Ctrl-C.", flush=True)
    command = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.ip={args.ip}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    ]
    if args.no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root
    os.chdir(root)  # nbgrader reads nbgrader_config.py from the folder the server starts in
    os.execv(sys.executable, command)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="course",
        description="Tools for the course on training neural networks: start JupyterLab, and (for instructors) "
        "regenerate the student releases, verify and grade them.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    lab = sub.add_parser("lab", help="start JupyterLab on the course folder and print its URL")
    lab.add_argument("--root", default=".", help="folder to serve (default: the current folder)")
    lab.add_argument("--ip", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    lab.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    lab.set_defaults(func=_cmd_lab)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
