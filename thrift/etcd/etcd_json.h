// The JSON of etcd's gRPC gateway (/v3/...), without I/O: request bodies
// out, responses in. The gateway writes 64-bit numbers as strings, enums by
// name, bytes in base64, and leaves out fields holding their default (a
// transaction that did not succeed has no "succeeded").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "thrift/etcd/etcd_types.h"
#include "wal/base/status.h"

namespace twopc::etcd {

std::string Base64Encode(const std::string& bytes);
// InvalidArgument on a character outside the alphabet or a bad length.
StatusOr<std::string> Base64Decode(const std::string& text);
// The end of the key range holding every key that starts with `prefix`.
std::string PrefixEnd(const std::string& prefix);

std::string TxnBody(const TxnRequest& request);
std::string RangeBody(const std::string& key, bool prefix);
std::string DeleteRangeBody(const std::string& key, bool prefix);
std::string LeaseGrantBody(int64_t ttl_s);
std::string LeaseIdBody(int64_t id);  // revoke, keep-alive

// Corruption when the body is not the JSON expected; the error etcd put in
// the body ({"error": ..., "code": N}) otherwise, as ErrorFromBody says.
StatusOr<TxnResult> ParseTxn(const std::string& body);
StatusOr<std::vector<KeyValue>> ParseRange(const std::string& body);
StatusOr<int64_t> ParseDeleted(const std::string& body);
StatusOr<Lease> ParseLeaseGrant(const std::string& body);
// A keep-alive's answer comes wrapped in "result"; TTL 0: the lease is gone.
StatusOr<Lease> ParseKeepAlive(const std::string& body);

// The error in an answer: gRPC code 5 (not found, e.g. a lease that
// expired) is NotFound, 3 (invalid argument) InvalidArgument, 14 or HTTP 503
// (unavailable: no leader, stopping, a request timed out) Busy, as another
// member may serve it; the others IoError. The message is etcd's.
// Errors come flat ({"error": "...", "message": "...", "code": N}) or, from a
// streamed call, nested ({"error": {"grpc_code": N, "message": "..."}}).
Status ErrorFromBody(int http_status, const std::string& body);
// Whether a 2xx body is an error rather than an answer.
bool BodyIsError(const std::string& body);

}  // namespace twopc::etcd
