"""Code that runs inside the sandbox: zygote, candidate, judge. Standard library only."""
