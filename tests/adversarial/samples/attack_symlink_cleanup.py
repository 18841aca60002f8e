"""Plant symlinks (and hard links) in the work dir for the root-run cleanup to follow.

Attack: the zygote (root) removes each sample's work dir after it ends. Fill it with
symlinks to the canary file, the canary directory, the decoy repository and the real
repository, and try hard links to the canary, hoping the cleanup deletes through them.
Must hold: the cleanup never follows links (shutil.rmtree removes the links, not their
targets) and hard links cannot cross into the private tmpfs -> canaries intact; wrong output.

task: HumanEval/53
expect: fail
layers: judge, landlock, mountns
"""
import os
import tempfile

TARGETS = ["__CANARY_FILE__", "__CANARY_DIR__", "__DECOY_REPO__", "__REPO__"]


def add(x: int, y: int):
    work = tempfile.gettempdir()
    for n, target in enumerate(TARGETS):
        for kind, make in (("sym", os.symlink), ("hard", os.link)):
            try:
                make(target, os.path.join(work, "cj_adv_link_%s_%d" % (kind, n)))
            except OSError:
                pass
        try:
            os.makedirs(os.path.join(work, "deep", str(n)), exist_ok=True)
            os.symlink(target, os.path.join(work, "deep", str(n), "x"))
        except OSError:
            pass
    return x + y + 1
