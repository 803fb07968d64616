namespace QForge.Tracking.Tests;

/// <summary>A fact that needs Linux (it reads /proc); skipped, and said so, elsewhere.</summary>
internal sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux: it reads /proc/self/fd";
    }
}
