// Interop peer on Autobahn|C++ (Debian autobahn-cpp-dev 17.5.1, header-only) over RawSocket, MessagePack.
//
// Build (interop_test.go does this into a temporary directory):
//   g++ -std=c++14 -O1 -DMSGPACK_DEFAULT_API_VERSION=1 -o cpp_peer cpp_peer.cpp \
//       -lboost_thread -lboost_chrono -lboost_system -lpthread
// (-DMSGPACK_DEFAULT_API_VERSION=1: Autobahn|C++ 17.5.1 predates Debian's msgpack-cxx 4.x API.)
//
// usage: cpp_peer URL REALM SERIALIZER ROLE [N] [--timeout S]
//   URL         rs://IPv4:port (RawSocket over TCP) | unix:///path or unix:/path (RawSocket over a Unix socket)
//   REALM       e.g. realm1
//   SERIALIZER  msgpack (the only one Autobahn|C++ speaks)
//   ROLE        callee      register com.example.add2(a, b) -> a + b, answer N calls, then leave
//               caller      call com.example.add2(i+2, 3) for i = 0..N-1, check each result is i+5
//               subscriber  subscribe com.example.topic, expect N events in order with args [i], kwargs {seq: i}
//               publisher   N publishes to com.example.topic with args [i], kwargs {seq: i}, then leave
//                           (Autobahn|C++ 17.5.1 has no acknowledge option: its publish future resolves once
//                           the message is written; GOODBYE's answer shows the router took them in order)
//   N           default 5
//   --timeout   seconds for the whole run, default 15
// Prints "READY" once registered/subscribed (callee, subscriber) or joined (caller, publisher), and ends with
// a line "OK ..." or "FAIL ...". Exit status: 0 ok, 1 failure, 2 usage. The process leaves with _Exit after
// that line, because Autobahn|C++ 17.5.1 may abort in its destructors (assert !m_running).
#include <autobahn/autobahn.hpp>
#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>

namespace {

const char* const kProc = "com.example.add2";
const char* const kTopic = "com.example.topic";

std::mutex g_out_mu;
std::atomic<bool> g_finished{false};

void out(const std::string& line)
{
    std::lock_guard<std::mutex> lock(g_out_mu);
    std::cout << line << std::endl;
}

// finish prints the verdict once and ends the process without running destructors.
[[noreturn]] void finish(int rc, const std::string& why)
{
    if (!g_finished.exchange(true)) {
        out((rc == 0 ? "OK " : "FAIL ") + why);
        std::cout.flush();
        std::cerr.flush();
        std::_Exit(rc);
    }
    for (;;) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

[[noreturn]] void usage(const std::string& msg)
{
    out("FAIL usage: " + msg);
    out("usage: cpp_peer URL REALM msgpack callee|caller|subscriber|publisher [N] [--timeout S]");
    std::cout.flush();
    std::_Exit(2);
}

// wait_get waits for f until the deadline, then returns f.get() (which rethrows the future's exception).
template <typename T>
T wait_get(boost::future<T>& f, const char* what)
{
    if (f.wait_for(boost::chrono::seconds(10)) != boost::future_status::ready) {
        finish(1, std::string("no answer to ") + what + " within 10s");
    }
    return f.get();
}

struct Args {
    std::string url, realm, serializer, role;
    uint64_t n = 5;
    double timeout = 15;
};

Args parse_args(int argc, char** argv)
{
    Args a;
    std::string pos[5];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        std::string s = argv[i];
        if (s == "--timeout" && i + 1 < argc) {
            a.timeout = std::atof(argv[++i]);
        } else if (npos < 5) {
            pos[npos++] = s;
        } else {
            usage("too many arguments");
        }
    }
    if (npos < 4) {
        usage("wrong number of arguments");
    }
    a.url = pos[0];
    a.realm = pos[1];
    a.serializer = pos[2];
    a.role = pos[3];
    if (npos == 5) {
        char* end = nullptr;
        long long v = std::strtoll(pos[4].c_str(), &end, 10);
        if (*end != '\0' || v < 1) {
            usage("N must be an integer >= 1");
        }
        a.n = static_cast<uint64_t>(v);
    }
    if (a.serializer != "msgpack") {
        usage("Autobahn|C++ speaks only msgpack");
    }
    if (a.role != "callee" && a.role != "caller" && a.role != "subscriber" && a.role != "publisher") {
        usage("unknown role " + a.role);
    }
    if (!(a.timeout > 0)) {
        usage("--timeout must be > 0");
    }
    return a;
}

} // namespace

int main(int argc, char** argv)
{
    Args args = parse_args(argc, argv);

    // watchdog: the whole run is bounded
    std::thread([t = args.timeout] {
        std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long long>(t * 1000)));
        std::ostringstream os;
        os << "timeout after " << t << "s";
        finish(1, os.str());
    }).detach();

    boost::asio::io_service io;
    std::shared_ptr<autobahn::wamp_transport> transport;
    try {
        if (args.url.compare(0, 5, "rs://") == 0) {
            std::string hp = args.url.substr(5);
            if (!hp.empty() && hp.back() == '/') {
                hp.pop_back();
            }
            auto colon = hp.rfind(':');
            if (colon == std::string::npos) {
                usage("bad url " + args.url + " (want rs://IPv4:port)");
            }
            boost::asio::ip::tcp::endpoint ep(boost::asio::ip::address::from_string(hp.substr(0, colon)),
                                              static_cast<unsigned short>(std::atoi(hp.substr(colon + 1).c_str())));
            transport = std::make_shared<autobahn::wamp_tcp_transport>(io, ep, false);
        } else if (args.url.compare(0, 5, "unix:") == 0) {
            std::string p = args.url.substr(5);
            if (p.compare(0, 2, "//") == 0) {
                p = p.substr(2);
            }
            if (p.empty()) {
                usage("bad url " + args.url);
            }
            boost::asio::local::stream_protocol::endpoint ep(p);
            transport = std::make_shared<autobahn::wamp_uds_transport>(io, ep, false);
        } else {
            usage("unsupported url " + args.url + " (want rs://IPv4:port or unix:///path)");
        }
    } catch (const std::exception& e) {
        usage(std::string("bad url: ") + e.what());
    }

    auto session = std::make_shared<autobahn::wamp_session>(io, false);
    transport->attach(std::static_pointer_cast<autobahn::wamp_transport_handler>(session));

    // The io_service runs on its own thread; this thread drives the session with blocking waits.
    boost::asio::io_service::work work(io);
    std::thread io_thread([&io] {
        try {
            io.run();
        } catch (const std::exception& e) {
            finish(1, std::string("io: ") + e.what());
        }
    });
    io_thread.detach();

    const uint64_t n = args.n;
    try {
        auto connected = transport->connect();
        wait_get(connected, "connect");
        auto started = session->start();
        wait_get(started, "start");
        auto joined = session->join(args.realm);
        wait_get(joined, "HELLO");

        if (args.role == "callee") {
            std::atomic<uint64_t> calls{0};
            boost::promise<void> served;
            auto add2 = [&](autobahn::wamp_invocation inv) {
                auto a = inv->argument<uint64_t>(0);
                auto b = inv->argument<uint64_t>(1);
                inv->result(std::make_tuple(a + b));
                if (++calls == n) {
                    served.set_value();
                }
            };
            auto registered = session->provide(kProc, add2);
            wait_get(registered, "REGISTER");
            out("READY");
            auto done = served.get_future();
            done.wait();
            std::this_thread::sleep_for(std::chrono::milliseconds(50)); // let the last YIELD go out
            std::ostringstream os;
            os << "answered " << n << " calls";
            auto left = session->leave();
            left.wait_for(boost::chrono::seconds(2));
            finish(0, os.str());
        } else if (args.role == "caller") {
            out("READY");
            for (uint64_t i = 0; i < n; i++) {
                autobahn::wamp_call_options opts;
                opts.set_timeout(std::chrono::seconds(10));
                auto f = session->call(kProc, std::make_tuple(i + 2, uint64_t(3)), opts);
                auto res = wait_get(f, "CALL");
                uint64_t got = res.argument<uint64_t>(0);
                if (got != i + 5) {
                    std::ostringstream os;
                    os << "add2(" << i + 2 << ", 3) returned " << got << ", want " << i + 5;
                    finish(1, os.str());
                }
            }
            auto left = session->leave();
            wait_get(left, "GOODBYE");
            std::ostringstream os;
            os << n << " calls";
            finish(0, os.str());
        } else if (args.role == "subscriber") {
            std::atomic<uint64_t> got{0};
            boost::promise<void> all;
            auto on_event = [&](const autobahn::wamp_event& ev) {
                uint64_t i = got.load();
                std::ostringstream os;
                try {
                    if (ev.number_of_arguments() != 1 || ev.number_of_kw_arguments() != 1 ||
                            ev.argument<uint64_t>(0) != i || ev.kw_argument<uint64_t>("seq") != i) {
                        os << "event #" << i << " has " << ev.number_of_arguments() << " args, "
                           << ev.number_of_kw_arguments() << " kwargs, want [" << i << "] {seq: " << i << "}";
                        finish(1, os.str());
                    }
                } catch (const std::exception& e) {
                    os << "event #" << i << ": " << e.what();
                    finish(1, os.str());
                }
                if (++got == n) {
                    all.set_value();
                }
            };
            auto subscribed = session->subscribe(kTopic, on_event);
            wait_get(subscribed, "SUBSCRIBE");
            out("READY");
            auto done = all.get_future();
            done.wait();
            auto left = session->leave();
            left.wait_for(boost::chrono::seconds(2));
            std::ostringstream os;
            os << "received " << n << " events";
            finish(0, os.str());
        } else {
            out("READY");
            for (uint64_t i = 0; i < n; i++) {
                std::map<std::string, uint64_t> kw{{"seq", i}};
                auto f = session->publish(kTopic, std::make_tuple(i), kw);
                wait_get(f, "PUBLISH");
            }
            auto left = session->leave();
            wait_get(left, "GOODBYE");
            std::ostringstream os;
            os << "published " << n;
            finish(0, os.str());
        }
    } catch (const std::exception& e) {
        finish(1, std::string("error: ") + e.what());
    }
    finish(1, "unreachable");
}
