"""nbgrader's exchange on a shared machine: a collect that refuses forgeries, a private submit.

On a shared machine (JupyterHub with local users) students submit into one exchange folder, and
a submission is named ``<student>+<assignment>+<timestamp>+<random>``. Anyone can create such a
folder with another student's name. nbgrader's own collect notices that the folder's owner is not
the student it names, warns, and collects it all the same, in place of that student's real work.
This one leaves such a folder out (the named student's own latest submission is collected as if
it were not there), names it, and makes `nbgrader collect` fail, so the instructor cannot miss it.

nbgrader's submit makes each submission folder writable by everyone (0777, so that the
instructor may delete it), trusting that nobody else can learn its name. Anyone who does can
empty it, or read its submission secret and with it fetch that student's feedback. PrivateSubmit
keeps the folder to its student and the exchange's instructors (the inbound folder's group).

``nbgrader_config.py`` plugs both in: ``c.ExchangeFactory.collect =
"helpers.grading.exchange.OwnerCheckedCollect"`` and ``c.ExchangeFactory.submit =
"helpers.grading.exchange.PrivateSubmit"`` (hub/configure.sh writes the same for a hub's users).
"""

from __future__ import annotations

import os
import pwd

from nbgrader.exchange import ExchangeError
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.submit import ExchangeSubmit

# Stands in for the claimed name of a forged submission while nbgrader picks each student's
# latest one, so that the forgery is in no student's group.
FORGED = "\0forged:"


def owner_of(path: str) -> str:
    try:
        return pwd.getpwuid(os.stat(path).st_uid).pw_name
    except KeyError:
        return f"uid {os.stat(path).st_uid} (no such user)"


class OwnerCheckedCollect(ExchangeCollect):
    """Collect only submissions owned by the student they name; fail loudly on the others."""

    def init_src(self):
        self.forged: list[tuple[str, str, str]] = []  # (folder, claimed student, owner)
        super().init_src()
        self.src_records = [r for r in self.src_records if not r["username"].startswith(FORGED)]
        for folder, claimed, owner in self.forged:
            self.log.error(
                f"Refused {folder}: it says it is {claimed}'s submission, but {owner} made it."
                f" {claimed}'s own latest submission (if any) is collected instead."
            )

    def _path_to_record(self, path):
        record = super()._path_to_record(path)
        owner = owner_of(path)
        if owner != record["username"]:
            self.forged.append((record["filename"], record["username"], owner))
            record = {**record, "username": FORGED + record["filename"]}
        return record

    def start(self):
        super().start()
        if self.forged:
            names = ", ".join(f"{folder} (by {owner})" for folder, _, owner in self.forged)
            raise ExchangeError(
                f"{len(self.forged)} forged submission(s) refused: {names}. Everything else was"
                " collected."
            )


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's submit, leaving the submission folder to its student and the instructors."""

    def copy_files(self):
        super().copy_files()
        folder = os.path.join(self.inbound_path, self.assignment_filename)
        # The inbound folder's group (nbgrader makes it setgid) is the instructors': when the new
        # folder has it, owner and group keep full rights (the instructor may still delete it)
        # and everyone else loses all. Otherwise the instructor reads it as anyone: leave it.
        if os.stat(folder).st_gid == os.stat(self.inbound_path).st_gid:
            os.chmod(folder, 0o770)
