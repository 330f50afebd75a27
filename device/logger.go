package device

// Logger is where a [Client] writes its logs: a
// *slog.Logger satisfies it, and so does the slog-free logger the edge-agent
// binaries use. Records carry key-value pairs as log/slog takes them.
type Logger interface {
	Debug(msg string, args ...any)
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// sessionLogger puts "session", id in front of every record's own pairs, as
// slog's Logger.With would, for any Logger.
type sessionLogger struct {
	_  [0]func() // not comparable: no equality function to link
	l  Logger
	id uint64
}

func (s *sessionLogger) with(args []any) []any {
	return append([]any{"session", s.id}, args...)
}

func (s *sessionLogger) Debug(msg string, args ...any) { s.l.Debug(msg, s.with(args)...) }
func (s *sessionLogger) Info(msg string, args ...any)  { s.l.Info(msg, s.with(args)...) }
func (s *sessionLogger) Warn(msg string, args ...any)  { s.l.Warn(msg, s.with(args)...) }
func (s *sessionLogger) Error(msg string, args ...any) { s.l.Error(msg, s.with(args)...) }
