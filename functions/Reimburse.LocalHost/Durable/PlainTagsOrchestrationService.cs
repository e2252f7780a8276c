using System.Reflection;
using System.Runtime.Serialization;
using DurableTask.Core;
using DurableTask.Core.History;

namespace Reimburse.LocalHost.Durable;

/// <summary>The engine as the sidecar sees it, with two repairs on what the preview sidecar hands it: (1) gRPC tags in
/// history events are protobuf <c>MapField</c>s, which the Azure Storage engine serializes with their type name and
/// cannot read back ("Could not resolve type 'Google.Protobuf.Collections.MapField`2'"); (2) a sub-orchestration start is
/// recorded as the sidecar's own <c>GrpcSubOrchestrationInstanceCreatedEvent</c>, which has no [DataContract], so the
/// engine writes an empty history row and then fails every replay ("The TableEntity did not contain a 'EventType'
/// property"). Events become their plain DurableTask.Core type with plain dictionaries before anything is written;
/// everything else goes straight to the engine.</summary>
public sealed class PlainTagsOrchestrationService(IOrchestrationService inner) : IOrchestrationService
{
    public Task StartAsync() => inner.StartAsync();
    public Task StopAsync() => inner.StopAsync();
    public Task StopAsync(bool isForced) => inner.StopAsync(isForced);
    public Task CreateAsync() => inner.CreateAsync();
    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);
    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();
    public Task DeleteAsync() => inner.DeleteAsync();
    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);
    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) => inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);
    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);
    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);
    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;
    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;
    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;
    public Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);
    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public Task CompleteTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem, OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages, IList<TaskMessage> orchestratorMessages, IList<TaskMessage> timerMessages, TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        if (newOrchestrationRuntimeState is not null)
        {
            Replace(newOrchestrationRuntimeState.Events);
            Replace(newOrchestrationRuntimeState.NewEvents);
            foreach (var e in newOrchestrationRuntimeState.Events) Plain(e);
        }
        foreach (var m in (outboundMessages ?? []).Concat(orchestratorMessages ?? []).Concat(timerMessages ?? [])) Plain(m?.Event);
        Plain(continuedAsNewMessage?.Event);
        if (orchestrationState is { Tags: { } tags } && tags is not Dictionary<string, string>) orchestrationState.Tags = new Dictionary<string, string>(tags);
        return inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages,
            continuedAsNewMessage, orchestrationState);
    }

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);
    public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);
    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;
    public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;
    public Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);
    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        Plain(responseMessage?.Event);
        return inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);
    }

    public Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem) => inner.AbandonTaskActivityWorkItemAsync(workItem);

    /// <summary>Swaps events of a type without [DataContract] for a copy as their nearest [DataContract] base type.</summary>
    private static void Replace(IList<HistoryEvent> events)
    {
        for (var i = 0; i < events.Count; i++)
        {
            var type = events[i].GetType();
            if (type.GetCustomAttribute<DataContractAttribute>(inherit: false) is not null) continue;
            var plain = type.BaseType;
            while (plain is not null && plain.GetCustomAttribute<DataContractAttribute>(inherit: false) is null) plain = plain.BaseType;
            if (plain is null) continue;
            var copy = System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(plain);
            for (var t = plain; t is not null && t != typeof(object); t = t.BaseType)
            {
                foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)) f.SetValue(copy, f.GetValue(events[i]));
            }
            events[i] = (HistoryEvent)copy;
        }
    }

    private static void Plain(HistoryEvent? e)
    {
        switch (e)
        {
            case ExecutionStartedEvent s when s.Tags is { } t && t is not Dictionary<string, string>:
                s.Tags = new Dictionary<string, string>(t);
                break;
            case SubOrchestrationInstanceCreatedEvent s when s.Tags is { } t && t is not Dictionary<string, string>:
                s.Tags = new Dictionary<string, string>(t);
                break;
            case TaskScheduledEvent s when s.Tags is { } t && t is not Dictionary<string, string>:
                s.Tags = new Dictionary<string, string>(t);
                break;
        }
    }
}
