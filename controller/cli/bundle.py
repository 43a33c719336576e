"""`modelctl bundle`: render the specs at the current commit into a desired-state bundle (controller.desired.bundle) for
the reconciler Lambda, write it to a file and/or upload it to environments' artifact buckets. Output and exit
codes only; the parser lives in controller.cli.

Uploading writes `bundles/<git sha>.json` first and the pointer `bundles/latest.json` last, so the Lambda never
follows a pointer to a bundle that is not there yet.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from controller.aws import s3
from controller.cli.context import EXIT_ERROR, EXIT_OK, load_or_report
from controller.cli.gitinfo import git_author, git_sha
from controller.cli.images import resolve_framework_image
from controller.cli.output import error, note
from controller.cli.session import aws_for
from controller.desired.bundle import LATEST_KEY, build_bundle, bundle_key, dumps, latest_pointer


def bundle(args: argparse.Namespace) -> int:
    """args: path (specs folder), out (file or None), upload (environment names), local (use the emulator)."""
    if not args.out and not args.upload:
        error("nothing to do: give --out FILE and/or --upload ENV")
        return EXIT_ERROR
    catalog = load_or_report(args.path, "no bundle was made")
    if catalog is None:
        return EXIT_ERROR
    unknown = sorted(set(args.upload) - set(catalog.environments))
    if unknown:
        defined = ", ".join(sorted(catalog.environments))
        error(f"environment(s) {', '.join(unknown)} not defined (defined: {defined})")
        return EXIT_ERROR
    sha = git_sha(args.path)
    if sha == "unknown" or sha.endswith("-dirty"):
        note(f"warning: the specs are not a clean git commit ({sha}); the bundle says so")
    content = build_bundle(
        catalog,
        root=args.path,
        git_sha=sha,
        author=git_author(args.path),
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        resolve_image=resolve_framework_image,
    )
    text = dumps(content)
    print(
        f"bundle {sha} (version {content['bundleVersion']}, digest {content['digest'][:12]}): "
        f"{len(catalog.environments)} environment(s), {len(catalog.models)} model(s), "
        f"{len(content['images'])} framework image(s)"
    )
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"written to {args.out}")
    for env in args.upload:
        bucket = catalog.environments[env].spec.artifact_bucket
        with aws_for(catalog.environments[env], local=args.local) as session:
            s3.put_text(session.cloud.clients, bucket, bundle_key(sha), text)
            s3.put_text(session.cloud.clients, bucket, LATEST_KEY, latest_pointer(content))
        print(f"uploaded to s3://{bucket}/{bundle_key(sha)} ({env}); s3://{bucket}/{LATEST_KEY} points at it")
    return EXIT_OK
