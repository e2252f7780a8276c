using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Claims;
using Reimburse.Testing;
using Reimburse.Tests.Approvals;
using Reimburse.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reimburse.Tests.Resilience;

/// <summary>The Azure Storage engine's timers were seen to fire up to a second early. On a fast workflow clock (7200×: one
/// real second is two working hours, so a timer one second early would act two hours early) every reminder and escalation
/// is written to storage no earlier than its due time in real time.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TimerPunctualityTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task RemindersAndEscalations_FastClock_NeverActBeforeTheirDueTime()
    {
        var ct = TestTimeout.Token(90);
        await using var app = new ReimburseApp(azurite, WorkflowTestKit.AppSettings(speed: 7200), WorkflowTestKit.UseRecordingChannel);
        await app.StartAsync(ct);
        var claims = app.Services.GetRequiredService<ClaimStore>();
        var anchor = app.Services.GetRequiredService<WorkflowClock>().Anchor;
        var chan = await app.ClientForAsync("emp-chan", ct);
        var ids = new[] { await WorkflowTestKit.SubmitAsync(chan, 161m, cancellationToken: ct), await WorkflowTestKit.SubmitAsync(chan, 162m, cancellationToken: ct) };

        // Every timer each claim arms, as committed (a timer lives ≥ 2 s here; the state is read every 50 ms).
        var armed = new Dictionary<(string Claim, TimerKind Kind, int Step, int Level), DateTimeOffset>();
        var acted = new List<(string Claim, TimerKind Kind, int Step, int Level, DateTimeOffset At)>();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (DateTimeOffset.UtcNow < deadline && !(ids.All(id => acted.Count(a => a.Claim == id && a.Kind == TimerKind.Escalation) >= 1
            && acted.Count(a => a.Claim == id && a.Kind == TimerKind.Reminder) >= 1)))
        {
            foreach (var id in ids)
            {
                if (await claims.GetAsync(id, ct) is { } stored)
                {
                    foreach (var t in WorkflowRows.ReadState(stored).Timers)
                    {
                        armed[(id, t.Kind, t.StepIndex, t.EscalationLevel)] = t.DueAt;
                    }
                }
            }
            acted.Clear();
            foreach (var id in ids)
            {
                acted.AddRange(await TimerActionsAsync(app.Storage.Claims, id, ct));
            }
            await Task.Delay(50, ct);
        }

        Assert.All(ids, id => Assert.Contains(acted, a => a.Claim == id && a.Kind == TimerKind.Escalation));
        Assert.All(ids, id => Assert.Contains(acted, a => a.Claim == id && a.Kind == TimerKind.Reminder));
        var lateness = new List<TimeSpan>();
        foreach (var a in acted)
        {
            Assert.True(armed.TryGetValue((a.Claim, a.Kind, a.Step, a.Level), out var due), $"{a} acted on a timer never seen armed");
            var dueReal = new DateTimeOffset(anchor.ToReal(due), TimeSpan.Zero);
            Assert.True(a.At >= dueReal, $"{a.Kind} of {a.Claim} (step {a.Step}, level {a.Level}) written at {a.At:O}, {(dueReal - a.At).TotalMilliseconds:F0} ms before its due time {dueReal:O}");
            lateness.Add(a.At - dueReal);
        }
        output.WriteLine($"{acted.Count} timer actions; lateness min {lateness.Min().TotalMilliseconds:F0} ms, max {lateness.Max().TotalMilliseconds:F0} ms");
    }

    /// <summary>The claim's reminders and escalations as written (the audit row's storage timestamp: real time) with the
    /// timer each acted on: a reminder at escalation level L is timer (Reminder, step, L); an escalation to L+1 is
    /// (Escalation, step, L).</summary>
    private static async Task<List<(string Claim, TimerKind Kind, int Step, int Level, DateTimeOffset At)>> TimerActionsAsync(TableClient claims, string id, CancellationToken ct)
    {
        var list = new List<(string, TimerKind, int, int, DateTimeOffset)>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {id} and RowKey ge {ClaimStore.AuditRowPrefix} and RowKey lt {ClaimStore.AuditRowPrefix + "~"}");
        await foreach (var row in claims.QueryAsync<TableEntity>(filter, cancellationToken: ct))
        {
            var entry = AuditEntityMapper.FromEntity(row);
            if (entry.Action is not ("step.reminded" or "step.escalated")) continue;
            using var details = JsonDocument.Parse(entry.Details);
            var step = int.Parse(details.RootElement.GetProperty("step").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            var level = int.Parse(details.RootElement.GetProperty("escalationLevel").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            list.Add(entry.Action == "step.reminded"
                ? (id, TimerKind.Reminder, step, level, row.Timestamp!.Value)
                : (id, TimerKind.Escalation, step, level - 1, row.Timestamp!.Value));
        }
        return list;
    }
}
