using System.Reflection;
using System.Runtime.Loader;

/// <summary>DOTNET_STARTUP_HOOKS entry used by <see cref="Reimburse.Tests.Approvals.WorkflowTestKit.ProcessSettings"/>: lets an app
/// process started from the test output folder load this test assembly (and its dependencies) by name, so
/// ASPNETCORE_HOSTINGSTARTUPASSEMBLIES can plug in the recording notification channel.</summary>
internal static class StartupHook
{
    public static void Initialize() =>
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var path = Path.Combine(AppContext.BaseDirectory, name.Name + ".dll");
            return File.Exists(path) ? context.LoadFromAssemblyPath(path) : null;
        };
}
