FROM python
WORKDIR app
ADD . .
RUN pip install -r requirements.txt
CMD python app.py
CMD python other.py
