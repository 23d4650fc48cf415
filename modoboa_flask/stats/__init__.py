"""Mail traffic statistics: the Postfix log parser, its counters and the series read back.

`parser` turns log lines into events, `reader` reads files from their cursors, `store`
counts events per domain and account in 5-minute, hourly and daily buckets, `series` and
`chart` read them back for the pages, the CSV download and the API.
"""

from ..params import Param, register


def stats_params() -> list[Param]:
    """The "Statistics" parameters (Modoboa's stats extension had `logfile`)."""
    return [
        Param("stats", "logfile", "str", "/var/log/mail.log", "Path to the log file",
              "The Postfix log `flask parse-maillog` reads when no --file is given",
              required=True, order=10),
        Param("stats", "message_index_days", "int", 30, "Message index retention",
              "Days the per-message delivery index is kept for support work "
              "(0 = no index)", min_value=0, max_value=3650, order=20),
    ]  # fmt: skip


register(*stats_params(), label="Statistics")
