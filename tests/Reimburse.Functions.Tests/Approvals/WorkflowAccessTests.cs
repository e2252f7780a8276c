using System.Net;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Approvals;

/// <summary>Who may read a claim follows the workflow: the duty supervisor an off-hours claim is routed to can open it.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class WorkflowAccessTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task OffHoursClaim_DutySupervisorItWaitsOn_CanReadIt_OtherManagersCannot()
    {
        var ct = TestTimeout.Token();
        var settings = WorkflowTestKit.AppSettings();
        // 23:30 Hong Kong time on a Tuesday: outside office hours, so the first step goes to the duty supervisor.
        settings["Reimburse:Workflow:ClockStart"] = new DateTimeOffset(2026, 11, 24, 15, 30, 0, TimeSpan.Zero).ToString("O");
        await using var app = new ReimburseApp(azurite, settings, WorkflowTestKit.UseRecordingChannel);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 268.50m, cancellationToken: ct);

        var workflow = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.Status() == "pending", ct);

        Assert.Contains("duty-ng", workflow.Waiting());
        Assert.Equal(HttpStatusCode.OK, (await (await app.ClientForAsync("duty-ng", ct)).GetAsync($"/api/claims/{id}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await (await app.ClientForAsync("mgr-lau", ct)).GetAsync($"/api/claims/{id}", ct)).StatusCode);
    }
}
