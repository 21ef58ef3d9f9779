/**
 * The gateways over a TaskManager's control WebSocket: calls on a TaskExecutorGateway become
 * JM → TM frames, and TM → JM frames about a job become calls on its JobMasterGateway.
 */
import type WebSocket from 'ws';
import { encodeFrame } from '../../common/protocol/codec';
import type { JmToTmFrame, Outgoing, TmToJmFrame } from '../../common/protocol/control';
import type { JobMasterGateway, TaskExecutorGateway } from './gateways';

export class WebSocketTaskExecutorGateway implements TaskExecutorGateway {
  constructor(
    readonly id: string,
    readonly dataAddress: string,
    private readonly ws: WebSocket,
  ) {}

  send(frame: Outgoing<JmToTmFrame>): void {
    this.ws.send(encodeFrame(frame));
  }
  submitTasks(...[plan, tasks]: Parameters<TaskExecutorGateway['submitTasks']>): void {
    this.send({ t: 'deploy', plan, tasks });
  }
  cancelJob(jobId: string): void {
    this.send({ t: 'cancel', jobId });
  }
  triggerCheckpoint(
    jobId: string,
    attempt: number,
    checkpointId: number,
    timestamp: number,
    terminate?: boolean,
  ): void {
    this.send({ t: 'trigger-checkpoint', jobId, attempt, checkpointId, timestamp, ...(terminate && { terminate }) });
  }
  notifyCheckpointComplete(jobId: string, attempt: number, checkpointId: number, terminate?: boolean): void {
    this.send({ t: 'checkpoint-complete', jobId, attempt, checkpointId, ...(terminate && { terminate }) });
  }
  close(): void {
    this.ws.terminate();
  }
}

type JobFrame = Extract<TmToJmFrame, { t: 'task-state' | 'ack-checkpoint' | 'decline-checkpoint' }>;

/** Hands a TM's frame about a job to that job's JobMaster. */
export function deliverToJobMaster(tm: string, frame: JobFrame, job: JobMasterGateway): void {
  switch (frame.t) {
    case 'task-state':
      return job.updateTaskExecutionState(tm, frame);
    case 'ack-checkpoint':
      return job.acknowledgeCheckpoint(
        tm,
        frame.attempt,
        frame.checkpointId,
        frame.vertex,
        frame.subtask,
        frame.handle,
      );
    case 'decline-checkpoint':
      return job.declineCheckpoint(tm, frame.attempt, frame.checkpointId, frame.vertex, frame.subtask, frame.reason);
  }
}
