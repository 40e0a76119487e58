FROM ubuntu
RUN apt-get update
CMD ["bash"]
CMD ["sh"]
FROM alpine:3.19
CMD echo one
