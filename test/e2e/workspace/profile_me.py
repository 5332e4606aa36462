"""Fixture for the e2e profiled-run scenario (test/e2e): a stand-in training loop that runs about 2 s on the CPU.

The "▶ Run with energy profiling" lens sits on the main guard; the suite runs it and opens its report.
"""
import time


def main():
    for epoch in range(4):
        time.sleep(0.5)
        print(f"epoch {epoch} done", flush=True)


if __name__ == "__main__":
    main()
