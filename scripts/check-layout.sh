#!/usr/bin/env bash
# Every module folder (Sources/*, strategies/*, policies/*, Fuzz/*, Tests/*) must be named in the
# README's Layout block, so that the map of the tree stays whole (issue 19). Prints what is
# missing and exits 1.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
layout=$(sed -n '/^## Layout/,/^## /p' README.md)
missing=()
for folder in Sources/*/ strategies/*/ policies/*/ Fuzz/*/ Tests/*/; do
    name=$(basename "$folder")
    # Sources are listed by path (a bare "sasha" would match "`sasha run`"); the rest by name.
    if [[ $folder == Sources/* ]]; then
        grep -qF -- "Sources/$name" <<<"$layout" || missing+=("${folder%/}")
    else
        grep -qwF -- "$name" <<<"$layout" || missing+=("${folder%/}")
    fi
done
if (( ${#missing[@]} )); then
    echo "README.md, Layout: name these module folders (what each holds): ${missing[*]}" >&2
    exit 1
fi
echo "README.md Layout names every module folder"
