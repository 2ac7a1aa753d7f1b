#!/usr/bin/env python3
"""Classify results of the HTTP caching test suite (github.com/http-tests/cache-tests, the suite
behind cache-tests.fyi) the way that site shows them.

Input: the suite's checkout (for the test metadata: each test's `kind` and `depends_on`, read by
running `node` on its `tests/index.mjs`) and one or more results files, each the JSON that
`npm run --silent cli --base=URL` prints (test id -> true, or [error name, message]).

Per test, as the site decides (its test-engine/lib/results.mjs, re-implemented here):
  - dependency failed (greyed out, "⚪"): a test in `depends_on` did not pass (pass, or "yes" for a
    `check` test), recursively; this is decided first.
  - setup failure ("🔹", or "↻" for a retried request): the result is ["Setup", ...]: the
    harness could not get the response it needed to test the behaviour.
  - harness failure ("⁉"): ["AbortError", ...] (a request timed out).
  - `kind` required (or none, which means required): passed, or failed conformance ("⛔").
  - `kind` optimal: passed, or optional not met ("⚠").
  - `kind` check: yes / no (information only).
Tests with no result are untested. `--not-run SUITE_OR_ID` moves tests into "not run" whatever
their result (for tests that the local client cannot run, such as the interim-response tests,
which need undici >= 7).

Usage:
  classify.py --suite /tmp/cache-tests [--not-run interim] NAME=results.json ... [--details NAME]
Prints a Markdown table of counts per results file; with --details NAME, the failed conformance,
optional not met, setup and harness failures of that one, with test names and the result message.
"""

import argparse
import json
import subprocess
import sys

DUMP_METADATA = """
const suites = (await import(process.argv[1] + '/tests/index.mjs')).default
const out = []
for (const suite of suites) for (const t of suite.tests)
  out.push({ suite: suite.id, id: t.id, name: t.name, kind: t.kind || 'required', depends_on: t.depends_on || [] })
console.log(JSON.stringify(out))
"""

CATEGORIES = ["passed", "failed conformance", "optional not met", "greyed out (dependency)",
              "check: yes", "check: no", "setup failure", "retry", "harness failure", "not run", "untested"]
PASSING = ("passed", "check: yes")


def load_metadata(suite_dir):
    text = subprocess.run(["node", "--input-type=module", "-e", DUMP_METADATA, suite_dir],
                          check=True, capture_output=True, text=True).stdout
    return {test["id"]: test for test in json.loads(text)}


def classify(tests, results, not_run):
    memo = {}

    def verdict(test_id):
        if test_id in memo:
            return memo[test_id]
        test = tests[test_id]
        result = results.get(test_id)
        if test_id in not_run or test["suite"] in not_run:
            memo[test_id] = "not run"
        elif result is None:
            memo[test_id] = "untested"
        elif any(verdict(dep) not in PASSING for dep in test["depends_on"]):
            memo[test_id] = "greyed out (dependency)"
        elif isinstance(result, list) and result[0] == "Setup":
            memo[test_id] = "retry" if result[1] == "retry" else "setup failure"
        elif isinstance(result, list) and result[0] == "AbortError":
            memo[test_id] = "harness failure"
        elif test["kind"] == "check":
            memo[test_id] = "check: yes" if result is True else "check: no"
        elif result is True:
            memo[test_id] = "passed"
        elif test["kind"] == "optimal":
            memo[test_id] = "optional not met"
        else:
            memo[test_id] = "failed conformance"
        return memo[test_id]

    return {test_id: verdict(test_id) for test_id in tests}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", required=True, help="the cache-tests checkout")
    parser.add_argument("--not-run", action="append", default=[], help="a suite id or test id to leave out")
    parser.add_argument("--details", action="append", default=[], help="a NAME to list failures of")
    parser.add_argument("--json", help="write every verdict here")
    parser.add_argument("results", nargs="+", help="NAME=results.json")
    args = parser.parse_args()

    tests = load_metadata(args.suite)
    runs = {}
    for item in args.results:
        name, _, path = item.partition("=")
        with open(path) as handle:
            results = json.load(handle)
        unknown = set(results) - set(tests)
        if unknown:
            sys.exit(f"{path}: results for tests the suite does not have: {sorted(unknown)[:5]}")
        runs[name] = (results, classify(tests, results, set(args.not_run)))

    used = [c for c in CATEGORIES if any(c in verdicts.values() for _, verdicts in runs.values())]
    print("| | " + " | ".join(runs) + " |")
    print("|---|" + "---:|" * len(runs))
    for category in used:
        counts = [sum(1 for v in verdicts.values() if v == category) for _, verdicts in runs.values()]
        print(f"| {category} | " + " | ".join(str(c) for c in counts) + " |")
    print(f"| total | " + " | ".join(str(len(verdicts)) for _, verdicts in runs.values()) + " |")

    for name in args.details:
        results, verdicts = runs[name]
        for category in ("failed conformance", "optional not met", "setup failure", "retry", "harness failure"):
            ids = [t for t in tests if verdicts[t] == category]
            print(f"\n### {name}: {category} ({len(ids)})")
            for test_id in ids:
                message = results.get(test_id)
                message = message[1] if isinstance(message, list) and len(message) > 1 else message
                print(f"- `{test_id}` ({tests[test_id]['kind']}) {tests[test_id]['name']} -- {message}")

    if args.json:
        with open(args.json, "w") as handle:
            json.dump({name: verdicts for name, (_, verdicts) in runs.items()}, handle, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
