namespace QForge.Training;

/// <summary>Accumulates evaluation episodes into an <see cref="EvaluationResult"/> (shared by every trainer's Evaluate).</summary>
public struct EvaluationSummary
{
    private double _sum, _sumSquares, _lengths;
    private int _episodes, _successes;

    /// <summary>Adds one finished episode.</summary>
    public void Add(double episodeReturn, int length, bool success)
    {
        _episodes++;
        _sum += episodeReturn;
        _sumSquares += episodeReturn * episodeReturn;
        _lengths += length;
        if (success) _successes++;
    }

    /// <summary>Mean and population standard deviation of the return, mean length and success rate.</summary>
    public readonly EvaluationResult Result()
    {
        if (_episodes == 0) throw new InvalidOperationException("No evaluation episode was added.");
        double mean = _sum / _episodes;
        return new EvaluationResult(_episodes, mean, Math.Sqrt(Math.Max(0, _sumSquares / _episodes - mean * mean)), _lengths / _episodes, (double)_successes / _episodes);
    }
}
