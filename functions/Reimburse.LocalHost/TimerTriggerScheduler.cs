using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Reimburse.LocalHost;

/// <summary>Runs a timer-triggered function on its NCRONTAB schedule (UTC; LocalHost:Schedules:{name} overrides it).</summary>
public sealed partial class TimerTriggerScheduler(
    FunctionDescriptor function,
    FunctionInvoker invoker,
    IOptions<LocalHostOptions> options,
    IConfiguration configuration,
    TimeProvider clock,
    ILogger<TimerTriggerScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        var schedule = options.Value.Schedules.GetValueOrDefault(function.Name) ?? function.Schedule!;
        if (schedule.StartsWith('%') && schedule.EndsWith('%'))
        {
            schedule = configuration[schedule.Trim('%')] ?? throw new InvalidOperationException($"Function {function.Name}: app setting {schedule} is not set.");
        }
        var cron = Cron.Parse(schedule);
        var last = clock.GetUtcNow();
        while (!stop.IsCancellationRequested)
        {
            var next = cron.Next(clock.GetUtcNow());
            try
            {
                var wait = next - clock.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, stop);
                var timer = new TimerInfo
                {
                    IsPastDue = clock.GetUtcNow() - next > TimeSpan.FromMinutes(1),
                    ScheduleStatus = new ScheduleStatus { Last = last.UtcDateTime, Next = cron.Next(next).UtcDateTime, LastUpdated = clock.GetUtcNow().UtcDateTime },
                };
                last = next;
                await invoker.InvokeAsync(function, new Invocation(timer, new Dictionary<string, string?>(), null, stop));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex, function.Name);
            }
        }
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Error, Message = "Timer {Function} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string function);
}
