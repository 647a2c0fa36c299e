"""`flask remind`: climb the reminder ladder for today (models.reminders) and send what waits in the outbox
(ops.delivery); and forget the portal's limit rows and CAPTCHAs that no longer count (models.intake.prune). Safe to run
as often as one likes (a cron line every 15 minutes, or a systemd timer): a problem gets each rung once per deadline,
a message goes out once, and a message that cannot go out never stops the run (it is reported, and the run ends with
status 0)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from cli import CliError
from models import db, intake, local_now
from models.errors import DomainError
from models.periods import report_day
from models.reminders import LADDER, climb

from .delivery import send_pending


@click.command("remind")
@with_appcontext
@click.option("--date", "day", metavar="YYYY-MM-DD", help="按哪一天计算（默认今天；补跑漏掉的日子时用）")
@click.option("--no-send", is_flag=True, help="只生成提醒，不外发邮件和群消息")
def remind_command(day, no_send):
    """生成当日的自动提醒、催办、督办（按工作日历和各专项行动的设置），并外发待发送的消息。"""
    try:
        today = report_day(day) if day else local_now().date()
    except DomainError as error:
        raise CliError(f"--date：{error}") from None
    run = climb(today)
    pruned = intake.prune()
    db.session.commit()
    made = "，".join(f"{level}{run.made[level]}条" for level in LADDER)
    click.echo(f"{today:%Y-%m-%d}：新增{made}（共{run.total}条）；待外发消息新增{run.queued}条；"
               f"清理门户限流和验证码记录{pruned}条。")
    if no_send:
        return
    sent = send_pending()
    released = f"收回中断的发送{sent.released}条；" if sent.released else ""
    click.echo(f"外发：{released}成功{sent.sent}条（{sent.messages}则消息），失败待重试{sent.retry}条，"
               f"最终失败{sent.failed}条，留待下次{sent.left}条。")
    for note in sent.notes:
        click.echo(f"  说明：{note}。")
    for failure in sent.failures:
        click.echo(f"  失败：{failure}")
    if sent.failed:
        click.echo("  最终失败的消息可在“系统 → 外发消息”中查看原因，改正后点“重新发送”。")
