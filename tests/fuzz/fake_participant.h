// A participant that votes as told, for driving the real coordinator in a
// fuzz target without agents: YES (COMMITTED when one-phase), NO when a
// statement's SQL is exactly "NO". Served on 127.0.0.1 on a free port.
#pragma once

#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TServerSocket.h>

#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gen-cpp/Participant.h"

namespace twopc::fuzz {

class FakeParticipant : public rpc::ParticipantIf {
 public:
  void prepare(rpc::PrepareResult& result, const rpc::PrepareRequest& request) override {
    result.vote = request.one_phase ? rpc::Vote::COMMITTED : rpc::Vote::YES;
    for (const rpc::Statement& statement : request.statements) {
      if (statement.sql == "NO") {
        result.vote = rpc::Vote::NO;
        result.__set_reason("told to vote NO");
      }
    }
    result.__set_changes(std::vector<int64_t>(request.statements.size(), 1));
    std::vector<rpc::CommitAck> acks;
    commit_many(acks, request.commit_first);
    result.__set_commit_acks(std::move(acks));
  }
  void commit(int64_t) override {}
  void commit_many(std::vector<rpc::CommitAck>& acks, const std::vector<int64_t>& txids) override {
    for (int64_t txid : txids) {
      rpc::CommitAck ack;
      ack.txid = txid;
      ack.ok = true;
      acks.push_back(ack);
    }
  }
  void prepare_many(rpc::PrepareManyResult& result,
                    const std::vector<rpc::PrepareRequest>& requests,
                    const std::vector<int64_t>& commit_first) override {
    for (const rpc::PrepareRequest& request : requests) {
      rpc::PrepareResult one;
      prepare(one, request);
      one.__isset.commit_acks = false;
      result.results.push_back(std::move(one));
    }
    std::vector<rpc::CommitAck> acks;
    commit_many(acks, commit_first);
    result.__set_commit_acks(std::move(acks));
  }
  void abort(int64_t) override {}
  void list_prepared(std::vector<int64_t>&) override {}
  void list_in_doubt(std::vector<rpc::PreparedTransaction>&) override {}
  void query(rpc::QueryResult&, const std::string&, const std::vector<rpc::Value>&) override {}
  void health(rpc::Health& health) override { health.role = "participant"; }
};

// Serves a FakeParticipant until the process exits; returns its port.
inline int StartFakeParticipant() {
  using apache::thrift::protocol::TBinaryProtocolFactory;
  using apache::thrift::transport::TFramedTransportFactory;
  using apache::thrift::transport::TServerSocket;
  auto socket = std::make_shared<TServerSocket>("127.0.0.1", 0);
  auto listening = std::make_shared<std::promise<void>>();
  socket->setListenCallback([listening](THRIFT_SOCKET) { listening->set_value(); });
  auto server = std::make_shared<apache::thrift::server::TThreadedServer>(
      std::make_shared<rpc::ParticipantProcessor>(std::make_shared<FakeParticipant>()), socket,
      std::make_shared<TFramedTransportFactory>(), std::make_shared<TBinaryProtocolFactory>());
  std::future<void> ready = listening->get_future();
  std::thread([server] { server->serve(); }).detach();
  ready.wait();
  return socket->getPort();
}

}  // namespace twopc::fuzz
