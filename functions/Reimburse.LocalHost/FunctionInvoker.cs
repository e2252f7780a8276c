using System.Reflection;
using Azure.Storage.Blobs;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Reimburse.LocalHost;

/// <summary>What one invocation offers to bind: the trigger value, named binding data (route values, blob path
/// captures) and the cancellation token.</summary>
public sealed record Invocation(object? TriggerValue, IReadOnlyDictionary<string, string?> BindingData, HttpContext? Http, CancellationToken CancellationToken);

/// <summary>Invokes a function method as the worker would: the class from DI (ActivatorUtilities, one scope per
/// invocation), parameters bound by type and name, the result awaited (an <see cref="IResult"/> is executed).</summary>
public sealed class FunctionInvoker(IServiceProvider services)
{
    public async Task<object?> InvokeAsync(FunctionDescriptor function, Invocation invocation, IServiceProvider? scopeServices = null)
    {
        await using var scope = scopeServices is null ? services.CreateAsyncScope() : default(AsyncServiceScope?);
        var sp = scopeServices ?? scope!.Value.ServiceProvider;
        var method = function.Method;
        var target = method.IsStatic ? null : ActivatorUtilities.CreateInstance(sp, method.DeclaringType!);
        try
        {
            var args = method.GetParameters().Select(p => Bind(function, p, invocation, sp)).ToArray();
            var result = await UnwrapAsync(method.Invoke(target, args));
            if (result is IResult http && invocation.Http is { } context)
            {
                await http.ExecuteAsync(context);
            }
            return result;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
        finally
        {
            switch (target)
            {
                case IAsyncDisposable d: await d.DisposeAsync(); break;
                case IDisposable d: d.Dispose(); break;
            }
        }
    }

    /// <summary>Fails at start, not at the first request, if a function has a parameter LocalHost cannot bind.</summary>
    public static void Validate(FunctionDescriptor function)
    {
        foreach (var p in function.Method.GetParameters())
        {
            if (!CanBind(function, p))
            {
                throw new NotSupportedException($"Function {function.Name}: LocalHost cannot bind parameter '{p.Name}' ({p.ParameterType.Name}).");
            }
        }
    }

    private static bool CanBind(FunctionDescriptor function, ParameterInfo p) =>
        p.ParameterType == typeof(HttpRequest) || p.ParameterType == typeof(CancellationToken) || p.ParameterType == typeof(DurableTaskClient)
        || p.ParameterType == typeof(QueueMessage) || p.ParameterType == typeof(TimerInfo) || p.ParameterType == typeof(BlobClient)
        || p.ParameterType == typeof(TaskOrchestrationContext) || IsTrigger(function, p) || p.ParameterType == typeof(string);

    private static bool IsTrigger(FunctionDescriptor function, ParameterInfo p) =>
        p.Name == function.BindingName || p.GetCustomAttributes().Any(a => a.GetType().Name.EndsWith("TriggerAttribute", StringComparison.Ordinal));

    private static object? Bind(FunctionDescriptor function, ParameterInfo p, Invocation invocation, IServiceProvider sp)
    {
        var type = p.ParameterType;
        if (type == typeof(HttpRequest)) return invocation.Http?.Request;
        if (type == typeof(CancellationToken)) return invocation.CancellationToken;
        if (type == typeof(DurableTaskClient)) return sp.GetRequiredService<DurableTaskClient>();
        if (invocation.TriggerValue is not null && type.IsInstanceOfType(invocation.TriggerValue) && IsTrigger(function, p)) return invocation.TriggerValue;
        if (type == typeof(string) && invocation.BindingData.TryGetValue(p.Name!, out var value)) return value;
        if (IsTrigger(function, p)) return invocation.TriggerValue;
        return p.HasDefaultValue ? p.DefaultValue : null;
    }

    private static async Task<object?> UnwrapAsync(object? returned)
    {
        switch (returned)
        {
            case Task task:
                await task;
                var type = task.GetType();
                return type.IsGenericType && type.GetProperty("Result") is { } r && r.PropertyType.Name != "VoidTaskResult" ? r.GetValue(task) : null;
            case ValueTask vt:
                await vt;
                return null;
            default:
                return returned;
        }
    }
}
