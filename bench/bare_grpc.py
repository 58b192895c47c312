"""The gRPC ceiling: a bare `grpc.aio` Recommender whose GetUserRecommendations returns a constant list.

Usage: .venv/bin/python -m bench.bare_grpc PORT
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import grpc

from protos import recommendations_pb2 as pb
from protos import recommendations_pb2_grpc as pb_grpc

IDS = [50, 100, 181, 258, 174, 127, 56, 7, 98, 1]
SCORES = [1.0 - n / 10 for n in range(10)]


class ConstantRecommender(pb_grpc.RecommenderServicer):
    async def GetUserRecommendations(
        self, request: pb.UserRequest, context: Any
    ) -> pb.RecommendationsResponse:
        return pb.RecommendationsResponse(
            id=request.user_id, item_ids=IDS, scores=SCORES, model_id="bare", source="model", cached=True
        )


async def serve(port: int) -> None:
    server = grpc.aio.server()
    pb_grpc.add_RecommenderServicer_to_server(ConstantRecommender(), server)  # type: ignore[abstract]
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
